// Request/answer over a forked child's IPC channel: the benchmark drives its fleet and sender
// processes with `call(op, payload)`; the child answers through `serve(handlers)`. Structured
// clone ("advanced" serialization), so typed arrays cross as they are.
import { type ChildProcess, fork } from 'node:child_process';

interface Request {
  readonly rid: number;
  readonly op: string;
  readonly payload: unknown;
}

interface Answer {
  readonly rid: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC: comparable across processes). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A child process answering {@link RpcChild.call}s; it is killed if this process exits first. */
export class RpcChild {
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #exited: Promise<void>;
  #exitReason: string | undefined;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const answer = raw as Answer;
      const waiter = this.#pending.get(answer.rid);
      if (waiter === undefined) return;
      this.#pending.delete(answer.rid);
      if (answer.ok) waiter.resolve(answer.value);
      else waiter.reject(new Error(answer.error ?? 'failed'));
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitReason = `exited (code ${String(code)}, signal ${String(signal)})`;
        for (const waiter of this.#pending.values()) {
          waiter.reject(new Error(`child ${this.#exitReason}`));
        }
        this.#pending.clear();
        live.delete(child);
        resolve();
      });
    });
    live.add(child);
  }

  /** Forks `script` (a compiled .js file) with an IPC channel. */
  static fork(script: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): RpcChild {
    const child = fork(script, [...args], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--enable-source-maps'],
      ...(env === undefined ? {} : { env }),
    });
    return new RpcChild(child);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('child did not spawn');
    return this.child.pid;
  }

  call<T>(op: string, payload: unknown = null, timeoutMs = 600_000): Promise<T> {
    if (this.#exitReason !== undefined) {
      return Promise.reject(new Error(`child ${this.#exitReason}`));
    }
    const rid = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new Error(`${op}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ rid, op, payload } satisfies Request);
    });
  }

  /** Asks the child to exit (op `exit`), and kills it if it has not within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exitReason !== undefined) return;
    this.child.send({ rid: 0, op: 'exit', payload: null } satisfies Request);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Handlers of a child's operations; `exit` is handled by {@link serve} itself. */
export type Handlers = Record<string, (payload: never) => unknown>;

/** Answers the parent's calls with `handlers`; `exit` runs `onExit` and ends the process. */
export function serve(handlers: Handlers, onExit: () => Promise<void> = async () => {}): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('not started with an IPC channel');
  process.on('message', (raw) => {
    const { rid, op, payload } = raw as Request;
    if (op === 'exit') {
      void onExit().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[op];
    if (handler === undefined) {
      send({ rid, ok: false, error: `unknown op ${op}` } satisfies Answer);
      return;
    }
    Promise.resolve()
      .then(() => handler(payload as never))
      .then(
        (value) => send({ rid, ok: true, value } satisfies Answer),
        (error: unknown) =>
          send({
            rid,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Answer),
      );
  });
  // The parent going away ends the child.
  process.on('disconnect', () => process.exit(0));
}
