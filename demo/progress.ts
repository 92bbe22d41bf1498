/**
 * The demo's steps: each runs under a timeout and prints one line, `✓ 3/9 title (detail)`, or
 * fails with `✗ 3/9 title: reason`. A step that waits says what it waits for and what it saw
 * last, so a timeout explains itself.
 */

/** What a step reports when it succeeds. */
export interface StepOutcome<T> {
  /** The line's title, when it is only known at the end (a handle with a port in it). */
  readonly title?: string;
  /** Shown in parentheses after the title: what was seen, how long it took. */
  readonly detail: string;
  /** Lines printed indented under the step's line. */
  readonly more?: readonly string[];
  readonly value: T;
}

/** What a running step can read and tell. */
export interface StepContext {
  /** Aborted when the step times out or the whole demo is stopped. */
  readonly signal: AbortSignal;
  /** Milliseconds since the step started. */
  elapsed(): number;
  /** What the step waits for now, and the last thing it saw; both go into a timeout's reason. */
  waiting(what: string, lastSeen?: string): void;
}

/** A step that failed: which one, and why. */
export class StepFailure extends Error {
  constructor(
    readonly index: number,
    readonly total: number,
    readonly title: string,
    readonly reason: string,
  ) {
    super(`${index}/${total} ${title}: ${reason}`);
    this.name = 'StepFailure';
  }
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** How many steps there are, for `n/total`. */
  readonly total: number;
  /** Where lines go; stdout by default. */
  readonly write?: (line: string) => void;
  /** Colour the marks; default: when stdout is a terminal and `NO_COLOR` is unset. */
  readonly color?: boolean;
}

const INDENT = '      ';

/** Runs the steps in order and prints their lines. */
export class Progress {
  private index = 0;
  private readonly stopper = new AbortController();
  private readonly write: (line: string) => void;
  private readonly color: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.write =
      options.write ??
      ((line) => {
        process.stdout.write(`${line}\n`);
      });
    this.color = options.color ?? (process.stdout.isTTY && (process.env.NO_COLOR ?? '') === '');
  }

  /** The number of the step running or last run. */
  get current(): number {
    return this.index;
  }

  /** Fails the running step (and every later one) at once with `reason`. */
  stop(reason: string): void {
    if (!this.stopper.signal.aborted) this.stopper.abort(new Error(reason));
  }

  /** Whether {@link stop} was called. */
  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /**
   * Runs the next step: `run` within `timeoutMs`, printing its line. Throws a
   * {@link StepFailure} (after printing the ✗ line) when `run` throws, times out or is stopped.
   */
  async step<T>(
    title: string,
    timeoutMs: number,
    run: (context: StepContext) => Promise<StepOutcome<T>>,
  ): Promise<T> {
    const index = ++this.index;
    const startedAt = Date.now();
    const timeout = new AbortController();
    let waitingFor: string | undefined;
    let lastSeen: string | undefined;
    const timer = setTimeout(() => {
      const waited = waitingFor === undefined ? '' : ` waiting for ${waitingFor}`;
      const seen = lastSeen === undefined ? '' : ` (last seen: ${lastSeen})`;
      timeout.abort(new Error(`timed out after ${seconds(timeoutMs)}${waited}${seen}`));
    }, timeoutMs);
    const signal = AbortSignal.any([this.stopper.signal, timeout.signal]);
    const context: StepContext = {
      signal,
      elapsed: () => Date.now() - startedAt,
      waiting: (what, seen) => {
        waitingFor = what;
        lastSeen = seen;
      },
    };
    try {
      const outcome = await Promise.race([run(context), rejectOnAbort(signal)]);
      this.print('✓', index, outcome.title ?? title, ` (${outcome.detail})`);
      for (const line of outcome.more ?? []) this.write(`${INDENT}${line}`);
      return outcome.value;
    } catch (error) {
      const reason = signal.aborted ? messageOf(signal.reason) : messageOf(error);
      this.print('✗', index, title, `: ${reason}`);
      throw new StepFailure(index, this.options.total, title, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Prints a line under the steps (not numbered). */
  note(line: string): void {
    this.write(line);
  }

  /** Prints lines indented like a step's details. */
  indented(lines: readonly string[]): void {
    for (const line of lines) this.write(`${INDENT}${line}`);
  }

  private print(mark: '✓' | '✗', index: number, title: string, rest: string): void {
    const painted = this.color ? `\u001b[${mark === '✓' ? 32 : 31}m${mark}\u001b[0m` : mark;
    this.write(`${painted} ${index}/${this.options.total} ${title}${rest}`);
  }
}

/**
 * Polls `check` every `intervalMs` until it returns something other than `undefined`, and
 * returns that. `check` may call `context.waiting` to say what it saw; the step's timeout (or a
 * stop) ends the wait.
 */
export async function waitUntil<T>(
  context: StepContext,
  what: string,
  check: (seen: (lastSeen: string) => void) => Promise<T | undefined> | T | undefined,
  intervalMs = 50,
): Promise<T> {
  context.waiting(what);
  for (;;) {
    if (context.signal.aborted) throw context.signal.reason;
    const found = await check((seen) => {
      context.waiting(what, seen);
    });
    if (found !== undefined) return found;
    await sleep(intervalMs, context.signal);
  }
}

/** `1.2 s` or `850 ms`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : seconds(ms);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The message of an error (its first line), or the value as text. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
