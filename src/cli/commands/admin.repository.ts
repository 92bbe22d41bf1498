import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ActorKind } from '../../actors/actor.js';
import type { DeliveryStatus } from '../../delivery/delivery.entity.js';

/** A story the outbox does not list yet: stored, live, never published on the fediverse. */
export interface UnpublishedStory {
  readonly id: string;
  readonly platformId: string;
  readonly title: string;
  readonly publishedAt: Date;
}

/** A delivery the `redeliver` command queues again. */
export interface RedeliveryRow {
  readonly id: string;
  readonly activityId: string;
  readonly inboxUrl: string;
  readonly status: DeliveryStatus;
}

/** What `stats` reports. */
export interface Counts {
  readonly actors: Record<string, number>;
  readonly followers: { readonly total: number; readonly distinctAccounts: number };
  readonly stories: { readonly live: number; readonly deleted: number };
  readonly deliveriesLast24h: Record<string, number>;
  readonly comments: Record<string, number>;
}

/**
 * The few reads and writes of the admin CLI that no service of the bridge makes: stories left
 * out of the outbox, a story's deliveries to send again, and counts across tables.
 */
@Injectable()
export class AdminRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Live stories without publishing state (`article_federation`), oldest first: by one author
   * (any position in `author_ids`), one publication, or all of them when both are null.
   */
  async unpublished(filter: {
    authorId: string | null;
    publicationId: string | null;
  }): Promise<UnpublishedStory[]> {
    const rows = await this.db.query<
      { id: string; platform_id: string; title: string; published_at: Date }[]
    >(
      `SELECT a.id, a.platform_id, a.title, a.published_at FROM articles a
         LEFT JOIN article_federation f ON f.article_id = a.id
        WHERE f.article_id IS NULL AND a.deleted_at IS NULL
          AND ($1::uuid IS NULL OR a.author_ids @> jsonb_build_array($1::uuid))
          AND ($2::uuid IS NULL OR a.publication_id = $2::uuid)
        ORDER BY a.published_at, a.id`,
      [filter.authorId, filter.publicationId],
    );
    return rows.map((r) => ({
      id: r.id,
      platformId: r.platform_id,
      title: r.title,
      publishedAt: r.published_at,
    }));
  }

  /**
   * The failed (and, unless `failedOnly`, pending) deliveries of a story's activities. Once the
   * story is deleted on the fediverse, only its Delete's: a Create sent again would bring it back
   * on servers that keep no tombstone.
   */
  async redeliverable(articleId: string, failedOnly: boolean): Promise<RedeliveryRow[]> {
    const rows = await this.db.query<
      { id: string; activity_id: string; inbox_url: string; status: DeliveryStatus }[]
    >(
      `SELECT d.id, d.activity_id, d.inbox_url, d.status FROM deliveries d
         JOIN outbound_activities a ON a.id = d.activity_id
         LEFT JOIN article_federation f ON f.article_id = a.article_id
        WHERE a.article_id = $1
          AND (d.status = 'failed' OR (NOT $2 AND d.status = 'pending'))
          AND (f.state IS DISTINCT FROM 'deleted' OR a.type = 'Delete')
        ORDER BY d.id`,
      [articleId, failedOnly],
    );
    return rows.map((r) => ({
      id: r.id,
      activityId: r.activity_id,
      inboxUrl: r.inbox_url,
      status: r.status,
    }));
  }

  /**
   * Makes failed deliveries pending again, due now, with their attempts reset (the retry
   * schedule starts over); the last answer stays until the next attempt replaces it. Returns the
   * ids reset.
   */
  async resetFailed(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const [rows] = await this.db.query<[{ id: string }[], number]>(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
              updated_at = now()
        WHERE id = ANY($1::bigint[]) AND status = 'failed'
        RETURNING id`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** Pending deliveries are due now (their retry is brought forward). */
  async dueNow(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE deliveries SET next_attempt_at = now(), updated_at = now()
        WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [ids],
    );
  }

  /** Ids of every author and publication (not the instance actor), oldest first. */
  async actorIds(): Promise<{ id: string; kind: ActorKind }[]> {
    return this.db.query<{ id: string; kind: ActorKind }[]>(
      `SELECT id, kind FROM actors WHERE kind IN ('author', 'publication') ORDER BY created_at, id`,
    );
  }

  /** Counts across the service's tables; deliveries are those created in the last 24 hours. */
  async counts(): Promise<Counts> {
    const grouped = async (sql: string): Promise<Record<string, number>> => {
      const rows = await this.db.query<{ key: string; n: number }[]>(sql);
      return Object.fromEntries(rows.map((r) => [r.key, r.n]));
    };
    const [followers] = await this.db.query<{ total: number; accounts: number }[]>(
      `SELECT count(*)::int AS total, count(DISTINCT follower_uri)::int AS accounts FROM followers`,
    );
    const [stories] = await this.db.query<{ live: number; deleted: number }[]>(
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live,
              count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted
         FROM articles`,
    );
    return {
      actors: await grouped(
        'SELECT kind AS key, count(*)::int AS n FROM actors GROUP BY kind ORDER BY kind',
      ),
      followers: { total: followers?.total ?? 0, distinctAccounts: followers?.accounts ?? 0 },
      stories: { live: stories?.live ?? 0, deleted: stories?.deleted ?? 0 },
      deliveriesLast24h: await grouped(
        `SELECT status AS key, count(*)::int AS n FROM deliveries
          WHERE created_at > now() - interval '24 hours' GROUP BY status ORDER BY status`,
      ),
      comments: await grouped(
        'SELECT status AS key, count(*)::int AS n FROM comments GROUP BY status ORDER BY status',
      ),
    };
  }
}
