/**
 * Logs a repeating error once, then at most once per `intervalMs` with a count of what was
 * suppressed in between. A broken connection retries many times a minute; the log should say so
 * in a few lines, not thousands.
 */
export class RateLimitedLog {
  private last = new Map<string, number>();
  private suppressed = new Map<string, number>();

  constructor(
    private readonly write: (message: string) => void,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes `message` unless the same `key` was written less than `intervalMs` ago. */
  log(key: string, message: string): void {
    const now = this.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    const count = this.suppressed.get(key) ?? 0;
    this.suppressed.delete(key);
    this.last.set(key, now);
    this.write(count > 0 ? `${message} (${count} similar suppressed)` : message);
  }
}
