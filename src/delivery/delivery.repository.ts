import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Batcher } from '../common/batcher.js';
import type { OutboundActivityType } from './delivery.entity.js';

/** An activity to store with its deliveries, in the caller's transaction. */
export interface NewActivity {
  readonly id: string;
  readonly uri: string;
  readonly type: OutboundActivityType;
  readonly actorId: string;
  readonly articleId: string | null;
  readonly objectUri: string;
  readonly body: Record<string, unknown>;
  /** Distinct inbox URLs; one delivery each. */
  readonly inboxes: readonly string[];
}

/** A stored activity, as the delivery worker needs it. */
export interface StoredActivity {
  readonly id: string;
  readonly actorId: string;
  readonly type: OutboundActivityType;
  readonly body: Record<string, unknown>;
}

/** A delivery waiting for its job. */
export interface PendingDelivery {
  readonly id: string;
  readonly activityId: string;
  readonly inboxUrl: string;
}

/** Activities, their deliveries and the outcome of each attempt. */
@Injectable()
export class DeliveryRepository {
  // A fan-out checks and records thousands of deliveries a second: those two statements are
  // grouped (one query per batch, each caller still waits for its own row to be written).
  readonly #pendingChecks = new Batcher<string, boolean>((ids) => this.pendingOf(ids));
  readonly #deliveredWrites = new Batcher<
    { id: string; attempts: number; status: number },
    undefined
  >((rows) => this.deliveredMany(rows));

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores an activity and one pending delivery per inbox. */
  async insertActivity(tx: EntityManager, activity: NewActivity): Promise<void> {
    await tx.query(
      `INSERT INTO outbound_activities (id, uri, type, actor_id, article_id, object_uri, body, recipients)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        activity.id,
        activity.uri,
        activity.type,
        activity.actorId,
        activity.articleId,
        activity.objectUri,
        activity.body,
        activity.inboxes.length,
      ],
    );
    if (activity.inboxes.length === 0) return;
    await tx.query(
      `INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at)
       SELECT $1, inbox, host, now() FROM unnest($2::text[], $3::text[]) AS t(inbox, host)
       ON CONFLICT (activity_id, inbox_url) DO NOTHING`,
      [activity.id, activity.inboxes, activity.inboxes.map(hostOf)],
    );
  }

  /** Inboxes that accepted any activity about the story (so Update and Delete reach them). */
  async deliveredInboxes(tx: EntityManager, articleId: string): Promise<string[]> {
    const rows = await tx.query<{ inbox_url: string }[]>(
      `SELECT DISTINCT d.inbox_url FROM deliveries d
         JOIN outbound_activities a ON a.id = d.activity_id
        WHERE a.article_id = $1 AND d.status = 'delivered'`,
      [articleId],
    );
    return rows.map((r) => r.inbox_url);
  }

  async activity(id: string): Promise<StoredActivity | null> {
    const rows = await this.db.query<
      { id: string; actor_id: string; type: OutboundActivityType; body: Record<string, unknown> }[]
    >('SELECT id, actor_id, type, body FROM outbound_activities WHERE id = $1', [id]);
    const row = rows[0];
    return row === undefined
      ? null
      : { id: row.id, actorId: row.actor_id, type: row.type, body: row.body };
  }

  /** Pending deliveries of an activity, for queueing. */
  async pending(activityId: string): Promise<PendingDelivery[]> {
    const rows = await this.db.query<{ id: string; inbox_url: string }[]>(
      `SELECT id, inbox_url FROM deliveries WHERE activity_id = $1 AND status = 'pending' ORDER BY id`,
      [activityId],
    );
    return rows.map((r) => ({ id: r.id, activityId, inboxUrl: r.inbox_url }));
  }

  /** Whether the delivery is still to be made (not delivered, failed, skipped or superseded). */
  isPending(id: string): Promise<boolean> {
    return this.#pendingChecks.add(id);
  }

  private async pendingOf(ids: readonly string[]): Promise<boolean[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [ids],
    );
    const pending = new Set(rows.map((r) => r.id));
    return ids.map((id) => pending.has(id));
  }

  /** The delivery waits (circuit breaker) until `until`, without using an attempt. */
  async waiting(id: string, until: Date): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET next_attempt_at = $2, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, until],
    );
  }

  /**
   * Marks the pending deliveries of a story's earlier activities skipped, when a Delete makes
   * them pointless (a Create retried after the Delete would bring the story back on servers
   * that keep no tombstones).
   */
  async supersedeStory(tx: EntityManager, articleId: string, by: string): Promise<void> {
    await tx.query(
      `UPDATE deliveries d SET status = 'skipped', last_error = 'superseded by ' || $3,
              next_attempt_at = NULL, updated_at = now()
         FROM outbound_activities a
        WHERE a.id = d.activity_id AND a.article_id = $1 AND a.id <> $2 AND d.status = 'pending'`,
      [articleId, by, `Delete ${by}`],
    );
  }

  /** Marks pending deliveries of an actor's earlier Update(actor) skipped: a newer one replaces them. */
  async supersedeActorUpdates(tx: EntityManager, actorId: string, by: string): Promise<void> {
    await tx.query(
      `UPDATE deliveries d SET status = 'skipped', last_error = 'superseded by ' || $3,
              next_attempt_at = NULL, updated_at = now()
         FROM outbound_activities a
        WHERE a.id = d.activity_id AND a.actor_id = $1 AND a.article_id IS NULL
          AND a.type = 'Update' AND a.id <> $2 AND d.status = 'pending'`,
      [actorId, by, `Update ${by}`],
    );
  }

  /**
   * Pending deliveries overdue by `overdueMs` — their job was lost (queue data lost, a job that
   * failed outside the processor) —, oldest first.
   */
  async overdue(overdueMs: number, limit: number): Promise<PendingDelivery[]> {
    const rows = await this.db.query<{ id: string; activity_id: string; inbox_url: string }[]>(
      `SELECT id, activity_id, inbox_url FROM deliveries
        WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
        ORDER BY next_attempt_at LIMIT $2`,
      [overdueMs / 1000, limit],
    );
    return rows.map((r) => ({ id: r.id, activityId: r.activity_id, inboxUrl: r.inbox_url }));
  }

  async markEnqueued(activityIds: readonly string[]): Promise<void> {
    await this.db.query(
      'UPDATE outbound_activities SET enqueued_at = now() WHERE id = ANY($1::uuid[])',
      [activityIds],
    );
  }

  /** Activities whose deliveries were never confirmed queued, older than `olderThanMs`. */
  async unenqueued(olderThanMs: number, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM outbound_activities
        WHERE enqueued_at IS NULL AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [olderThanMs / 1000, limit],
    );
    return rows.map((r) => r.id);
  }

  async delivered(id: string, attempts: number, status: number): Promise<void> {
    await this.#deliveredWrites.add({ id, attempts, status });
  }

  private async deliveredMany(
    rows: readonly { id: string; attempts: number; status: number }[],
  ): Promise<undefined[]> {
    await this.db.query(
      `UPDATE deliveries d SET status = 'delivered', attempts = v.attempts, last_status = v.status,
              last_error = NULL, next_attempt_at = NULL, delivered_at = now(), updated_at = now()
         FROM unnest($1::bigint[], $2::int[], $3::int[]) AS v(id, attempts, status)
        WHERE d.id = v.id`,
      [rows.map((r) => r.id), rows.map((r) => r.attempts), rows.map((r) => r.status)],
    );
    return rows.map(() => undefined);
  }

  async retrying(
    id: string,
    attempts: number,
    status: number | null,
    error: string,
    nextAttemptAt: Date,
  ): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET attempts = $2, last_status = $3, last_error = $4,
              next_attempt_at = $5, updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, attempts, status, error.slice(0, 1000), nextAttemptAt],
    );
  }

  async failed(id: string, attempts: number, status: number | null, error: string): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = 'failed', attempts = $2, last_status = $3, last_error = $4,
              next_attempt_at = NULL, updated_at = now()
        WHERE id = $1`,
      [id, attempts, status, error.slice(0, 1000)],
    );
  }

  async skipped(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = 'skipped', last_error = $2, next_attempt_at = NULL,
              updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, reason.slice(0, 1000)],
    );
  }
}

/** An inbox URL's host, with the port when not the default. */
export function hostOf(url: string): string {
  return new URL(url).host.toLowerCase();
}
