import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { CommentEventType } from './comment-event.entity.js';
import type { StoredCommentEvent } from './comment-event.js';

interface EventRow {
  seq: string;
  type: CommentEventType;
  snapshot: Record<string, unknown>;
  created_at: Date;
  platform_id: string;
}

/** A webhook delivery that failed for good. */
export interface FailedWebhook {
  readonly seq: string;
  readonly url: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly updatedAt: string;
}

/** The sinks an event is relayed to, each with its own "done" column. */
export type CommentEventSink = 'kafka' | 'webhooks';

const DONE_COLUMN: Record<CommentEventSink, string> = {
  kafka: 'kafka_done_at',
  webhooks: 'webhooks_done_at',
};

const SELECT_EVENTS = `SELECT e.seq, e.type, e.snapshot, e.created_at, a.platform_id
                         FROM comment_events e
                         JOIN articles a ON a.id = (e.snapshot->>'article_id')::uuid`;

/** Comment events (written by the `comments_event` trigger) and their webhook deliveries. */
@Injectable()
export class CommentEventsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Runs `work` on a connection of its own holding the relay lock of `sink` (a session advisory lock, so a
   * process that dies lets go of it), unless another process holds it (then returns null). Its
   * statements commit one by one: nothing waits on Kafka or the queue inside a transaction.
   */
  async exclusively<T>(
    sink: CommentEventSink,
    work: (conn: EntityManager) => Promise<T>,
  ): Promise<T | null> {
    const lock = `comment-events:${sink}`;
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      const rows = await runner.manager.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [lock],
      );
      if (rows[0]?.locked !== true) return null;
      try {
        return await work(runner.manager);
      } finally {
        await runner.manager.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]);
      }
    } finally {
      await runner.release();
    }
  }

  /** The oldest events not yet done for `sink`, in order. */
  async pending(
    conn: EntityManager,
    sink: CommentEventSink,
    limit: number,
  ): Promise<StoredCommentEvent[]> {
    const rows = await conn.query<EventRow[]>(
      `${SELECT_EVENTS} WHERE e.${DONE_COLUMN[sink]} IS NULL ORDER BY e.seq LIMIT $1`,
      [limit],
    );
    return rows.map(eventOf);
  }

  async markDone(
    conn: EntityManager,
    sink: CommentEventSink,
    seqs: readonly string[],
  ): Promise<void> {
    await conn.query(
      `UPDATE comment_events SET ${DONE_COLUMN[sink]} = now() WHERE seq = ANY($1::bigint[])`,
      [seqs],
    );
  }

  /** Marks every pending event done for a sink that is not configured; returns how many. */
  async passOver(conn: EntityManager, sink: CommentEventSink): Promise<number> {
    const column = DONE_COLUMN[sink];
    const [, count] = await conn.query<[unknown, number]>(
      `UPDATE comment_events SET ${column} = now() WHERE ${column} IS NULL`,
    );
    return count;
  }

  /** One pending delivery row per (event, URL); existing rows are left alone. */
  async addWebhookDeliveries(
    conn: EntityManager,
    seqs: readonly string[],
    urls: readonly string[],
  ): Promise<void> {
    await conn.query(
      `INSERT INTO comment_webhook_deliveries (event_seq, url)
       SELECT seq, url FROM unnest($1::bigint[]) AS s(seq) CROSS JOIN unnest($2::text[]) AS u(url)
       ON CONFLICT DO NOTHING`,
      [seqs, urls],
    );
  }

  /** An event by its sequence number; null once purged. */
  async event(seq: string): Promise<StoredCommentEvent | null> {
    const rows = await this.db.query<EventRow[]>(`${SELECT_EVENTS} WHERE e.seq = $1`, [seq]);
    const row = rows[0];
    return row === undefined ? null : eventOf(row);
  }

  /** Records an attempt of a webhook delivery. */
  async recordAttempt(
    seq: string,
    url: string,
    outcome: {
      status: 'pending' | 'delivered' | 'failed';
      httpStatus: number | null;
      error: string | null;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE comment_webhook_deliveries
          SET status = $3, attempts = attempts + 1, last_status = $4, last_error = $5,
              updated_at = now()
        WHERE event_seq = $1 AND url = $2`,
      [seq, url, outcome.status, outcome.httpStatus, outcome.error],
    );
  }

  /** Deletes events done for every sink more than `olderThanMs` ago (their deliveries too). */
  async purge(olderThanMs: number): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(
      `DELETE FROM comment_events
        WHERE created_at < now() - make_interval(secs => $1)
          AND kafka_done_at IS NOT NULL AND webhooks_done_at IS NOT NULL`,
      [olderThanMs / 1000],
    );
    return count;
  }

  /** Webhook deliveries that failed for good, newest first (for the admin API). */
  async failedWebhooks(limit: number): Promise<FailedWebhook[]> {
    const rows = await this.db.query<
      {
        event_seq: string;
        url: string;
        attempts: number;
        last_status: number | null;
        last_error: string | null;
        updated_at: Date;
      }[]
    >(
      `SELECT event_seq, url, attempts, last_status, last_error, updated_at
         FROM comment_webhook_deliveries WHERE status = 'failed'
        ORDER BY updated_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      seq: r.event_seq,
      url: r.url,
      attempts: r.attempts,
      lastStatus: r.last_status,
      lastError: r.last_error,
      updatedAt: r.updated_at.toISOString(),
    }));
  }
}

function eventOf(row: EventRow): StoredCommentEvent {
  return {
    seq: row.seq,
    type: row.type,
    snapshot: row.snapshot,
    createdAt: row.created_at,
    articlePlatformId: row.platform_id,
  };
}
