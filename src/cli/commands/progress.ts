import type { CliIo } from './command.js';

/** How often a terminal's counter line is redrawn, and a log's line written. */
const TTY_EVERY_MS = 100;
const LOG_EVERY_MS = 2_000;

/**
 * A counter on stderr for long commands: `backfill 120/500`. On a terminal one line is redrawn
 * in place; elsewhere (a log, a CI job) a line is written every two seconds and at the end.
 */
export class Progress {
  #done = 0;
  #lastAt = 0;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number,
    private readonly write: (chunk: string) => void = (chunk) => {
      process.stderr.write(chunk);
    },
  ) {}

  /** Counts `n` more items done. */
  tick(n = 1): void {
    this.#done += n;
    const now = Date.now();
    const every = this.io.interactive ? TTY_EVERY_MS : LOG_EVERY_MS;
    if (now - this.#lastAt < every || this.#done >= this.total) return;
    this.#lastAt = now;
    this.draw(false);
  }

  /** Writes the final count (and ends the terminal's line). */
  finish(): void {
    if (this.total === 0) return;
    this.draw(true);
  }

  private draw(final: boolean): void {
    const line = `${this.label} ${this.#done}/${this.total}`;
    if (this.io.interactive) this.write(`\r${line}${final ? '\n' : ''}`);
    else this.write(`${line}\n`);
  }
}
