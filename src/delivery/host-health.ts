import type { DataSource } from 'typeorm';

/**
 * What HostHealth needs of a database handle: TypeORM's `query`, which answers an UPDATE or
 * DELETE with `[rows, affected count]` and anything else with the rows.
 */
export type Queryable = Pick<DataSource, 'query'>;

/** What to do with a delivery to a host right now. */
export type HostDecision =
  | { readonly kind: 'send' }
  | { readonly kind: 'wait'; readonly untilMs: number; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string };

/** Tuning of {@link HostHealth}. */
export interface HostHealthOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  readonly failuresToOpen?: number;
  /**
   * Shortest time the breaker stays open. Each time it opens (or a probe fails) it stays open
   * as long as the host has been failing so far, at least this long. Default 60 s.
   */
  readonly baseOpenMs?: number;
  /** Longest the breaker stays open at once. Default 1 h. */
  readonly maxOpenMs?: number;
  /** Distinct failure days that make a host unavailable (Mastodon's rule). Default 7. */
  readonly unavailableDays?: number;
  /** How old the in-memory view of unhealthy hosts may be. Default 2 s. */
  readonly refreshMs?: number;
  /** How long one half-open probe has before another may start. Default 60 s. */
  readonly probeTimeoutMs?: number;
}

interface HostRow {
  host: string;
  consecutive_failures: number;
  open_until: Date | null;
  unavailable_since: Date | null;
  days: number;
}

/** What {@link HostHealth} exposes about a host (admin views, tests). */
export interface HostState {
  readonly consecutiveFailures: number;
  readonly openUntil: Date | null;
  readonly unavailableSince: Date | null;
  readonly failureDays: number;
}

/**
 * Per-host delivery health, shared by every worker through `delivery_hosts`:
 *
 * - **Circuit breaker.** After `failuresToOpen` consecutive failures (no answer, timeout, 5xx,
 *   408) the host's deliveries wait instead of being sent, for as long as the host has been
 *   failing so far (at least a minute, at most an hour): the wait roughly doubles with each
 *   failed probe, and a burst of failures at once does not stretch it. When the wait is over one
 *   delivery goes through as a probe (claimed atomically, so one process probes); its success
 *   closes the breaker.
 * - **Unavailable host** (Mastodon's rule). Each UTC day with a failure is remembered; at seven
 *   distinct days since the last success the host is unavailable and its deliveries are skipped.
 *   Any successful delivery, or any signed request from the host ({@link seen}), resets it.
 *
 * Healthy hosts have no row. Every process keeps the rows of unhealthy hosts in memory, re-read
 * every `refreshMs`, so a fan-out to ten thousand healthy hosts costs no query per host.
 */
export class HostHealth {
  readonly #db: Queryable;
  readonly #failuresToOpen: number;
  readonly #baseOpenMs: number;
  readonly #maxOpenMs: number;
  readonly #unavailableDays: number;
  readonly #refreshMs: number;
  readonly #probeTimeoutMs: number;
  #snapshot = new Map<string, HostRow>();
  /** What this process wrote since the last refresh began (undefined: reset), kept over it. */
  #local = new Map<string, HostRow | undefined>();
  #loadedAt = 0;
  #loading: Promise<void> | null = null;

  constructor(db: Queryable, options: HostHealthOptions = {}) {
    this.#db = db;
    this.#failuresToOpen = options.failuresToOpen ?? 5;
    this.#baseOpenMs = options.baseOpenMs ?? 60_000;
    this.#maxOpenMs = options.maxOpenMs ?? 3_600_000;
    this.#unavailableDays = options.unavailableDays ?? 7;
    this.#refreshMs = options.refreshMs ?? 2_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 60_000;
  }

  /** Whether a delivery to `host` should go now, wait, or be skipped. */
  async decide(host: string, now: number = Date.now()): Promise<HostDecision> {
    const row = await this.#row(host);
    if (row === undefined) return { kind: 'send' };
    if (row.unavailable_since !== null) {
      return {
        kind: 'skip',
        reason: `host unavailable since ${row.unavailable_since.toISOString()} (failures on ${row.days} distinct days)`,
      };
    }
    if (row.open_until === null) return { kind: 'send' };
    const openUntil = row.open_until.getTime();
    const reason = `circuit open after ${row.consecutive_failures} consecutive failures`;
    if (openUntil > now) return { kind: 'wait', untilMs: openUntil, reason };
    // Half-open: one probe at a time, across processes.
    // TypeORM answers an UPDATE (RETURNING or not) with [rows, affected count].
    const [claimed] = await this.#db.query<[unknown[], number]>(
      `UPDATE delivery_hosts SET probe_at = now()
        WHERE host = $1 AND open_until <= now()
          AND (probe_at IS NULL OR probe_at < now() - make_interval(secs => $2))
        RETURNING host`,
      [host, this.#probeTimeoutMs / 1000],
    );
    if (claimed.length > 0) return { kind: 'send' };
    return { kind: 'wait', untilMs: now + Math.min(this.#probeTimeoutMs, 10_000), reason };
  }

  /** A delivery to `host` got an answer that shows the host is up. */
  async recordSuccess(host: string): Promise<void> {
    const row = await this.#row(host);
    if (row === undefined) return;
    await this.#reset(host, 'last_success_at = now(),');
  }

  /**
   * A delivery to `host` failed in a way that counts against the host; returns the state after
   * it (breaker opened or not, days counted).
   */
  async recordFailure(host: string, error: string): Promise<HostState> {
    // One statement, so that no other process can claim a probe between the failure and the
    // breaker's reopening. The breaker (re)opens only when it is not already open: failures of
    // requests that were in flight when it opened do not stretch it.
    const rows = await this.#db.query<HostRow[]>(
      `INSERT INTO delivery_hosts AS h
              (host, consecutive_failures, failing_since, failure_days, last_failure_at, last_error,
               open_until, updated_at)
       VALUES ($1, 1, now(), ARRAY[(now() AT TIME ZONE 'UTC')::date], now(), $2,
               CASE WHEN $3 <= 1 THEN now() + make_interval(secs => $4) END, now())
       ON CONFLICT (host) DO UPDATE SET
         consecutive_failures = h.consecutive_failures + 1,
         failing_since = CASE WHEN h.consecutive_failures = 0 OR h.failing_since IS NULL
                              THEN now() ELSE h.failing_since END,
         failure_days = CASE
           WHEN (now() AT TIME ZONE 'UTC')::date = ANY (h.failure_days) THEN h.failure_days
           ELSE (h.failure_days || (now() AT TIME ZONE 'UTC')::date)[greatest(1, cardinality(h.failure_days) - 29):]
         END,
         open_until = CASE
           WHEN h.consecutive_failures + 1 >= $3 AND (h.open_until IS NULL OR h.open_until <= now())
           THEN now() + make_interval(secs => least(greatest(
                  extract(epoch FROM now() - coalesce(h.failing_since, now()))::float8, $4), $5))
           ELSE h.open_until
         END,
         last_failure_at = now(), last_error = $2, probe_at = NULL, updated_at = now()
       RETURNING host, consecutive_failures, open_until, unavailable_since,
                 cardinality(failure_days) AS days`,
      [
        host,
        error.slice(0, 500),
        this.#failuresToOpen,
        this.#baseOpenMs / 1000,
        this.#maxOpenMs / 1000,
      ],
    );
    let row = rows[0];
    if (row === undefined) throw new Error(`delivery_hosts upsert for ${host} returned nothing`);
    if (row.days >= this.#unavailableDays && row.unavailable_since === null) {
      const [marked] = await this.#db.query<[HostRow[], number]>(
        `UPDATE delivery_hosts SET unavailable_since = now()
          WHERE host = $1 AND unavailable_since IS NULL
          RETURNING host, consecutive_failures, open_until, unavailable_since,
                    cardinality(failure_days) AS days`,
        [host],
      );
      row = marked[0] ?? row;
    }
    this.#remember(host, row);
    return toState(row);
  }

  /**
   * A signed request from `host` reached our inbox: it is up, so it is available again and its
   * breaker closes.
   */
  async seen(host: string): Promise<void> {
    const row = await this.#row(host);
    if (row === undefined) return;
    await this.#reset(host, '');
  }

  /** The stored state of a host (null: healthy, no row). Reads the database, not the cache. */
  async state(host: string): Promise<HostState | null> {
    const rows = await this.#db.query<HostRow[]>(
      `SELECT host, consecutive_failures, open_until, unavailable_since,
              cardinality(failure_days) AS days
         FROM delivery_hosts WHERE host = $1`,
      [host],
    );
    const row = rows[0];
    return row === undefined ? null : toState(row);
  }

  async #reset(host: string, extra: string): Promise<void> {
    await this.#db.query(
      `UPDATE delivery_hosts
          SET consecutive_failures = 0, failing_since = NULL, open_until = NULL, probe_at = NULL,
              failure_days = '{}',
              unavailable_since = NULL, ${extra} updated_at = now()
        WHERE host = $1`,
      [host],
    );
    this.#remember(host, undefined);
  }

  async #row(host: string): Promise<HostRow | undefined> {
    if (Date.now() - this.#loadedAt > this.#refreshMs) await this.#refresh();
    return this.#snapshot.get(host);
  }

  #remember(host: string, row: HostRow | undefined): void {
    if (row === undefined) this.#snapshot.delete(host);
    else this.#snapshot.set(host, row);
    this.#local.set(host, row);
  }

  #refresh(): Promise<void> {
    this.#loading ??= (async () => {
      // Writes made while the query runs are newer than its result: they are laid over it.
      const local = new Map<string, HostRow | undefined>();
      this.#local = local;
      try {
        const rows = await this.#db.query<HostRow[]>(
          `SELECT host, consecutive_failures, open_until, unavailable_since,
                  cardinality(failure_days) AS days
             FROM delivery_hosts
            WHERE consecutive_failures > 0 OR unavailable_since IS NOT NULL
               OR cardinality(failure_days) > 0`,
        );
        const snapshot = new Map(rows.map((r) => [r.host, r]));
        for (const [host, row] of local) {
          if (row === undefined) snapshot.delete(host);
          else snapshot.set(host, row);
        }
        this.#snapshot = snapshot;
        this.#loadedAt = Date.now();
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}

function toState(row: HostRow): HostState {
  return {
    consecutiveFailures: row.consecutive_failures,
    openUntil: row.open_until,
    unavailableSince: row.unavailable_since,
    failureDays: row.days,
  };
}
