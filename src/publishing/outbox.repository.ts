import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Article } from '../articles/article.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor.js';
import { type ArticleRow, articleOf } from '../articles/article.repository.js';

/** The activity types an outbox lists: a story's Create, and a publication's Announce of it. */
export type OutboxActivityType = 'Create' | 'Announce';

/** One activity of an outbox, with the story it is about. */
export interface OutboxEntry {
  /** Internal id of the `outbound_activities` row. */
  readonly id: string;
  /** The activity's ActivityPub id. */
  readonly uri: string;
  readonly type: OutboxActivityType;
  /** The activity as it was sent, `@context` included. */
  readonly body: Record<string, unknown>;
  readonly createdAt: Date;
  /** The story, as stored now. */
  readonly article: Article;
}

/** One page of an outbox, and the cursor of the next one when there may be more. */
export interface OutboxPage {
  readonly items: readonly OutboxEntry[];
  readonly next: string | null;
}

interface EntryRow extends ArticleRow {
  activity_id: string;
  activity_uri: string;
  activity_type: OutboxActivityType;
  activity_body: Record<string, unknown>;
  activity_created_at: Date;
  /** `activity_created_at` to the microsecond, for the cursor (a Date keeps milliseconds). */
  activity_created_key: string;
}

// An outbox holds an actor's Creates and Announces of stories that are live: published on the
// fediverse (article_federation) and not deleted on the platform since (the Delete may still be
// on its way). Shared by the page and the count.
const LIVE_ACTIVITIES = `
  FROM outbound_activities oa
  JOIN article_federation af ON af.article_id = oa.article_id AND af.state = 'published'
  JOIN articles a ON a.id = oa.article_id AND a.deleted_at IS NULL
 WHERE oa.actor_id = $1 AND oa.type IN ('Create', 'Announce')`;

// An actor's pinned stories: live ones it wrote (any of author_ids) or that appeared in it.
const PINNED_STORIES = `
  FROM articles a
  JOIN article_federation af ON af.article_id = a.id AND af.state = 'published'
 WHERE a.pinned_at IS NOT NULL AND a.deleted_at IS NULL
   AND (a.author_ids @> jsonb_build_array($1::uuid) OR a.publication_id = $1::uuid)`;

/**
 * What an actor's outbox and featured collections show: its activities about live stories,
 * newest first (keyset pages on `(created_at, id)`), and its pinned live stories.
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The activities after `cursor` (from the newest when null or unreadable), at most `limit`,
   * newest first; ties on `created_at` are broken by id, so no activity is skipped or repeated
   * across pages.
   */
  async page(actorId: string, cursor: string | null, limit: number): Promise<OutboxPage> {
    // An unreadable cursor starts from the newest.
    const after =
      cursor === null
        ? null
        : decodeKeysetCursor(cursor, {
            time: (t) => CURSOR_TIME.test(t),
            key: (k) => UUID.test(k),
          });
    const rows = await this.db.query<EntryRow[]>(
      `SELECT a.*, oa.id AS activity_id, oa.uri AS activity_uri, oa.type AS activity_type,
              oa.body AS activity_body, oa.created_at AS activity_created_at,
              to_char(oa.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                AS activity_created_key
       ${LIVE_ACTIVITIES}
         AND ($2::timestamptz IS NULL OR (oa.created_at, oa.id) < ($2::timestamptz, $3::uuid))
       ORDER BY oa.created_at DESC, oa.id DESC
       LIMIT $4`,
      [actorId, after?.time ?? null, after?.key ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toEntry),
      next:
        rows.length > limit && last !== undefined
          ? encodeKeysetCursor(last.activity_created_key, last.activity_id)
          : null,
    };
  }

  /** How many activities {@link page} lists in all. */
  async count(actorId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n ${LIVE_ACTIVITIES}`,
      [actorId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The actor's pinned live stories, most recently pinned first, at most `limit`: those it wrote
   * (any of `author_ids`) or that appeared in it (a publication).
   */
  async featured(actorId: string, limit: number): Promise<Article[]> {
    const rows = await this.db.query<ArticleRow[]>(
      `SELECT a.* ${PINNED_STORIES} ORDER BY a.pinned_at DESC, a.id DESC LIMIT $2`,
      [actorId, limit],
    );
    return rows.map(articleOf);
  }

  /** How many stories {@link featured} would list without a limit. */
  async featuredCount(actorId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n ${PINNED_STORIES}`,
      [actorId],
    );
    return rows[0]?.n ?? 0;
  }
}

function toEntry(row: EntryRow): OutboxEntry {
  return {
    id: row.activity_id,
    uri: row.activity_uri,
    type: row.activity_type,
    body: row.activity_body,
    createdAt: row.activity_created_at,
    article: articleOf(row),
  };
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
