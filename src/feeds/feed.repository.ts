import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Feed, FeedStatus, SeenItem, WebSubState } from './feed.js';

interface FeedRow {
  id: string;
  url: string;
  registered_url: string;
  owner_id: string;
  min_interval_s: number;
  max_interval_s: number;
  backfill: number;
  status: FeedStatus;
  disabled_reason: string | null;
  title: string | null;
  etag: string | null;
  last_modified: string | null;
  baselined: boolean;
  interval_s: number;
  next_poll_at: Date;
  last_polled_at: Date | null;
  last_success_at: Date | null;
  last_status: number | null;
  consecutive_failures: number;
  last_error: string | null;
  websub_hub: string | null;
  websub_topic: string | null;
  websub_state: WebSubState;
  websub_token: string;
  websub_secret: string | null;
  websub_expires_at: Date | null;
  created_at: Date;
}

/** A new subscription. */
export interface NewFeed {
  readonly url: string;
  readonly ownerId: string;
  readonly minIntervalS: number;
  readonly maxIntervalS: number;
  readonly backfill: number;
  readonly websubToken: string;
}

/** What a poll leaves behind. */
export interface PollRecord {
  readonly url: string;
  readonly status: FeedStatus;
  readonly disabledReason: string | null;
  readonly title: string | null;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly baselined: boolean;
  readonly intervalS: number;
  readonly nextPollAt: Date;
  readonly lastStatus: number | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly success: boolean;
}

/** An item to remember after it was handed to ingestion. */
export interface ItemRecord extends SeenItem {
  readonly publishedAt: Date | null;
}

/** Feeds and the items seen in them. */
@Injectable()
export class FeedRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Inserts a subscription; `null` when its URL is already registered. */
  async insert(feed: NewFeed): Promise<Feed | null> {
    const rows = await this.db.query<FeedRow[]>(
      `INSERT INTO feeds (url, registered_url, owner_id, min_interval_s, max_interval_s, backfill,
         interval_s, websub_token)
       VALUES ($1, $1, $2, $3, $4, $5, $3, $6)
       ON CONFLICT (url) DO NOTHING RETURNING *`,
      [
        feed.url,
        feed.ownerId,
        feed.minIntervalS,
        feed.maxIntervalS,
        feed.backfill,
        feed.websubToken,
      ],
    );
    const row = rows[0];
    return row === undefined ? null : feedOf(row);
  }

  async findById(id: string): Promise<Feed | null> {
    const rows = await this.db.query<FeedRow[]>(`SELECT * FROM feeds WHERE id = $1`, [id]);
    const row = rows[0];
    return row === undefined ? null : feedOf(row);
  }

  async findByUrl(url: string): Promise<Feed | null> {
    const rows = await this.db.query<FeedRow[]>(`SELECT * FROM feeds WHERE url = $1`, [url]);
    const row = rows[0];
    return row === undefined ? null : feedOf(row);
  }

  async findByWebSubToken(token: string): Promise<Feed | null> {
    const rows = await this.db.query<FeedRow[]>(`SELECT * FROM feeds WHERE websub_token = $1`, [
      token,
    ]);
    const row = rows[0];
    return row === undefined ? null : feedOf(row);
  }

  /** Subscriptions in creation order, `limit` after the cursor (a feed id). */
  async list(limit: number, after: string | null): Promise<Feed[]> {
    const rows = await this.db.query<FeedRow[]>(
      `SELECT * FROM feeds
        WHERE $2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM feeds WHERE id = $2)
        ORDER BY created_at, id LIMIT $1`,
      [limit, after],
    );
    return rows.map(feedOf);
  }

  async delete(id: string): Promise<boolean> {
    const [, count] = await this.db.query<[unknown, number]>(`DELETE FROM feeds WHERE id = $1`, [
      id,
    ]);
    return count > 0;
  }

  /**
   * Claims up to `limit` feeds that are due, pushing their next poll `leaseS` ahead so that no
   * other tick claims them while their poll runs (the poll then sets the real next time).
   */
  async claimDue(limit: number, leaseS: number): Promise<string[]> {
    // TypeORM answers an UPDATE (RETURNING or not) with [rows, affected count], not the rows.
    const [rows] = await this.db.query<[{ id: string }[], number]>(
      `UPDATE feeds SET next_poll_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM feeds WHERE status <> 'disabled' AND next_poll_at <= now()
                      ORDER BY next_poll_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [limit, leaseS],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Claims one feed for a poll by hand (`POST /api/v1/feeds/{id}/poll`): re-enables a disabled
   * one and, like {@link claimDue}, pushes its next poll `leaseS` ahead, so that no tick polls it
   * as well while this poll runs (the poll then sets the real next time).
   */
  async claimNow(id: string, leaseS: number): Promise<void> {
    await this.db.query(
      `UPDATE feeds SET next_poll_at = now() + make_interval(secs => $2),
         status = CASE WHEN status = 'disabled' THEN 'active' ELSE status END,
         disabled_reason = CASE WHEN status = 'disabled' THEN NULL ELSE disabled_reason END
       WHERE id = $1`,
      [id, leaseS],
    );
  }

  async recordPoll(id: string, poll: PollRecord): Promise<void> {
    await this.db.query(
      `UPDATE feeds SET url = $2, status = $3, disabled_reason = $4, title = COALESCE($5, title),
         etag = $6, last_modified = $7, baselined = $8, interval_s = $9, next_poll_at = $10,
         last_status = $11, consecutive_failures = $12, last_error = $13, last_polled_at = now(),
         last_success_at = CASE WHEN $14 THEN now() ELSE last_success_at END
       WHERE id = $1`,
      [
        id,
        poll.url,
        poll.status,
        poll.disabledReason,
        poll.title,
        poll.etag,
        poll.lastModified,
        poll.baselined,
        poll.intervalS,
        poll.nextPollAt,
        poll.lastStatus,
        poll.consecutiveFailures,
        poll.lastError,
        poll.success,
      ],
    );
  }

  async recordWebSub(
    id: string,
    update: {
      hub: string | null;
      topic: string | null;
      state: WebSubState;
      secret: string | null;
      expiresAt: Date | null;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE feeds SET websub_hub = $2, websub_topic = $3, websub_state = $4, websub_secret = $5,
         websub_expires_at = $6 WHERE id = $1`,
      [id, update.hub, update.topic, update.state, update.secret, update.expiresAt],
    );
  }

  /** The items of a feed already seen, among `keys`. */
  async seenItems(feedId: string, keys: readonly string[]): Promise<Map<string, SeenItem>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.query<
      { item_key: string; content_hash: string; article_platform_id: string; federated: boolean }[]
    >(
      `SELECT item_key, content_hash, article_platform_id, federated FROM feed_items
        WHERE feed_id = $1 AND item_key = ANY($2::text[])`,
      [feedId, keys],
    );
    return new Map(
      rows.map((r) => [
        r.item_key,
        {
          itemKey: r.item_key,
          contentHash: r.content_hash,
          articlePlatformId: r.article_platform_id,
          federated: r.federated,
        },
      ]),
    );
  }

  /** Remembers items (inserted or updated), in one statement. */
  async recordItems(feedId: string, items: readonly ItemRecord[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.query(
      `INSERT INTO feed_items (feed_id, item_key, content_hash, article_platform_id, federated, published_at)
       SELECT $1, i.key, i.hash, i.platform_id, i.federated, i.published_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[])
           AS i(key, hash, platform_id, federated, published_at)
       ON CONFLICT (feed_id, item_key) DO UPDATE
         SET content_hash = EXCLUDED.content_hash,
             federated = feed_items.federated OR EXCLUDED.federated,
             last_changed_at = now()
       WHERE feed_items.content_hash <> EXCLUDED.content_hash
          OR (EXCLUDED.federated AND NOT feed_items.federated)`,
      [
        feedId,
        items.map((i) => i.itemKey),
        items.map((i) => i.contentHash),
        items.map((i) => i.articlePlatformId),
        items.map((i) => i.federated),
        items.map((i) => i.publishedAt),
      ],
    );
  }

  /** How many items a feed has recorded. */
  async itemCount(feedId: string): Promise<number> {
    const rows = await this.db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM feed_items WHERE feed_id = $1`,
      [feedId],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

function feedOf(r: FeedRow): Feed {
  return {
    id: r.id,
    url: r.url,
    registeredUrl: r.registered_url,
    ownerId: r.owner_id,
    minIntervalS: r.min_interval_s,
    maxIntervalS: r.max_interval_s,
    backfill: r.backfill,
    status: r.status,
    disabledReason: r.disabled_reason,
    title: r.title,
    etag: r.etag,
    lastModified: r.last_modified,
    baselined: r.baselined,
    intervalS: r.interval_s,
    nextPollAt: r.next_poll_at,
    lastPolledAt: r.last_polled_at,
    lastSuccessAt: r.last_success_at,
    lastStatus: r.last_status,
    consecutiveFailures: r.consecutive_failures,
    lastError: r.last_error,
    websubHub: r.websub_hub,
    websubTopic: r.websub_topic,
    websubState: r.websub_state,
    websubToken: r.websub_token,
    websubSecret: r.websub_secret,
    websubExpiresAt: r.websub_expires_at,
    createdAt: r.created_at,
  };
}
