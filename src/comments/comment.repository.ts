import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeKeysetCursor, encodeKeysetCursor, isParsableTime } from '../common/keyset-cursor.js';
import type {
  Comment,
  CommentAttachment,
  CommentStatus,
  CommentVisibility,
  InboundComment,
  ReplyBody,
} from './comment.js';

export interface CommentRow {
  id: string;
  ap_id: string;
  url: string | null;
  article_id: string;
  parent_id: string | null;
  depth: number;
  author_actor_id: string;
  author_handle: string;
  author_name: string | null;
  author_avatar_url: string | null;
  author_profile_url: string | null;
  author_host: string;
  content_html: string;
  content_text: string;
  language: string | null;
  summary: string | null;
  sensitive: boolean;
  attachments: CommentAttachment[];
  visibility: CommentVisibility;
  status: CommentStatus;
  published_at: Date;
  edited_at: Date | null;
  created_at: Date;
  local_author_id: string | null;
  platform_id: string | null;
}

/** A stored comment with the fields only answers written on the platform have. */
export interface StoredComment extends Comment {
  readonly localAuthorId: string | null;
  readonly platformId: string | null;
}

/** A report as the API shows it. */
export interface ModerationReport {
  readonly id: string;
  readonly apId: string;
  readonly reporterActorId: string;
  readonly reporterHost: string;
  readonly content: string | null;
  readonly targets: readonly string[];
  readonly status: 'open' | 'resolved';
  readonly createdAt: string;
}

/** Visibilities shown under a story; followers-only and direct replies are stored hidden. */
export const SHOWN_VISIBILITIES: readonly CommentVisibility[] = ['public', 'unlisted'];

/** Comments as stored. */
@Injectable()
export class CommentRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Where a known reply sits, for a reply to it. */
  async placeOf(apId: string): Promise<{ id: string; articleId: string; depth: number } | null> {
    const rows = await this.db.query<{ id: string; article_id: string; depth: number }[]>(
      'SELECT id, article_id, depth FROM comments WHERE ap_id = $1',
      [apId],
    );
    const row = rows[0];
    return row === undefined ? null : { id: row.id, articleId: row.article_id, depth: row.depth };
  }

  /**
   * Stores a reply once (by its ActivityPub id); `created` is false when it was known. An answer
   * written on the platform (`local`) has its id chosen by the caller (its ActivityPub id is built
   * from it) and is stored once per platform id.
   */
  async insert(
    c: InboundComment,
    status: CommentStatus,
    local?: { id: string; localAuthorId: string; platformId: string | null },
  ): Promise<{ id: string; created: boolean }> {
    const rows = await this.db.query<{ id: string }[]>(
      `INSERT INTO comments (ap_id, url, article_id, parent_id, depth, author_actor_id,
              author_handle, author_name, author_avatar_url, author_profile_url, author_host,
              content_html, content_text, language, summary, sensitive, attachments, visibility,
              status, published_at, edited_at, id, local_author_id, platform_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
               $19, $20, $21, COALESCE($22::uuid, gen_random_uuid()), $23, $24)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        c.apId,
        c.url,
        c.articleId,
        c.parentId,
        c.depth,
        c.author.actorId,
        c.author.handle,
        c.author.name,
        c.author.avatarUrl,
        c.author.profileUrl,
        c.author.host,
        c.contentHtml,
        c.contentText,
        c.language,
        c.summary,
        c.sensitive,
        JSON.stringify(c.attachments),
        c.visibility,
        status,
        c.publishedAt,
        c.editedAt,
        local?.id ?? null,
        local?.localAuthorId ?? null,
        local?.platformId ?? null,
      ],
    );
    const created = rows[0];
    if (created !== undefined) return { id: created.id, created: true };
    if (local !== undefined && local.platformId !== null) {
      const same = await this.findByPlatformId(local.platformId);
      if (same !== null) return { id: same.id, created: false };
    }
    const known = await this.placeOf(c.apId);
    if (known === null) throw new Error(`comment ${c.apId} neither inserted nor found`);
    return { id: known.id, created: false };
  }

  /** Stores a report once (by the Flag's id); whether it is new. */
  async addReport(report: {
    apId: string;
    reporterActorId: string;
    reporterHost: string;
    content: string | null;
    targets: readonly string[];
  }): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `INSERT INTO moderation_reports (ap_id, reporter_actor_id, reporter_host, content, targets)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (ap_id) DO NOTHING
       RETURNING id`,
      [
        report.apId,
        report.reporterActorId,
        report.reporterHost,
        report.content,
        JSON.stringify(report.targets),
      ],
    );
    return rows.length > 0;
  }

  /** The newest reports. */
  async reports(limit: number): Promise<ModerationReport[]> {
    const rows = await this.db.query<
      {
        id: string;
        ap_id: string;
        reporter_actor_id: string;
        reporter_host: string;
        content: string | null;
        targets: string[];
        status: 'open' | 'resolved';
        created_at: Date;
      }[]
    >(`SELECT * FROM moderation_reports ORDER BY created_at DESC, id LIMIT $1`, [limit]);
    return rows.map((r) => ({
      id: r.id,
      apId: r.ap_id,
      reporterActorId: r.reporter_actor_id,
      reporterHost: r.reporter_host,
      content: r.content,
      targets: r.targets,
      status: r.status,
      createdAt: r.created_at.toISOString(),
    }));
  }

  /** Whether `apId` is a comment stored here. */
  async isComment(apId: string): Promise<boolean> {
    return (await this.placeOf(apId)) !== null;
  }

  /** Records a like or boost of a story (once per actor and kind); whether it is new. */
  async addInteraction(
    articleId: string,
    type: 'like' | 'announce',
    actorId: string,
    activityId: string | null,
  ): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `INSERT INTO article_interactions (article_id, type, actor_id, activity_id)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (article_id, type, actor_id) DO NOTHING
       RETURNING id`,
      [articleId, type, actorId, activityId],
    );
    return rows.length > 0;
  }

  /**
   * Takes back a like or boost: by the activity's id when given, else by (story, kind, actor).
   * Only the actor's own. Returns whether one went.
   */
  async removeInteraction(
    actorId: string,
    type: 'like' | 'announce',
    by: { activityId: string } | { articleId: string },
  ): Promise<boolean> {
    const [, count] =
      'activityId' in by
        ? await this.db.query<[unknown, number]>(
            `DELETE FROM article_interactions
              WHERE actor_id = $1 AND type = $2 AND activity_id = $3`,
            [actorId, type, by.activityId],
          )
        : await this.db.query<[unknown, number]>(
            `DELETE FROM article_interactions
              WHERE actor_id = $1 AND type = $2 AND article_id = $3`,
            [actorId, type, by.articleId],
          );
    return count > 0;
  }

  /** Removes every like and boost of an actor (the actor was deleted). */
  async removeInteractionsOf(actorId: string): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM article_interactions WHERE actor_id = $1',
      [actorId],
    );
    return count;
  }

  /** Likes and boosts of a story: counts, and the most recent actors of each (up to `recent`). */
  async interactions(
    articleId: string,
    recent: number,
  ): Promise<{ likes: number; boosts: number; likedBy: string[]; boostedBy: string[] }> {
    const rows = await this.db.query<{ type: string; actor_id: string; total: number }[]>(
      `SELECT type, actor_id, count(*) OVER (PARTITION BY type)::int AS total,
              row_number() OVER (PARTITION BY type ORDER BY created_at DESC, id DESC) AS n
         FROM article_interactions WHERE article_id = $1
        ORDER BY type, created_at DESC, id DESC`,
      [articleId],
    );
    const of = (type: string) => rows.filter((r) => r.type === type);
    return {
      likes: of('like')[0]?.total ?? 0,
      boosts: of('announce')[0]?.total ?? 0,
      likedBy: of('like')
        .slice(0, recent)
        .map((r) => r.actor_id),
      boostedBy: of('announce')
        .slice(0, recent)
        .map((r) => r.actor_id),
    };
  }

  /** Whether the actor has comments, likes or boosts here (its Delete must then be processed). */
  async hasAuthor(actorId: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `SELECT 1 FROM comments WHERE author_actor_id = $1 AND removed_at IS NULL
       UNION ALL SELECT 1 FROM article_interactions WHERE actor_id = $1
       LIMIT 1`,
      [actorId],
    );
    return rows.length > 0;
  }

  /** Whether a Delete of `apId` arrived before the object (see comment_tombstones). */
  async tombstoned(apId: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      'SELECT 1 FROM comment_tombstones WHERE ap_id = $1',
      [apId],
    );
    return rows.length > 0;
  }

  /**
   * Applies its author's edit: the current version goes to `comment_edits`, the new one
   * replaces it. An edit older than the version stored is ignored. Returns whether it applied.
   */
  async edit(apId: string, authorActorId: string, body: ReplyBody): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<
        {
          id: string;
          content_html: string;
          summary: string | null;
          sensitive: boolean;
          published_at: Date;
          edited_at: Date | null;
        }[]
      >(
        `SELECT id, content_html, summary, sensitive, published_at, edited_at FROM comments
          WHERE ap_id = $1 AND author_actor_id = $2 AND removed_at IS NULL
          FOR UPDATE`,
        [apId, authorActorId],
      );
      const current = rows[0];
      if (current === undefined) return false;
      const currentAt = current.edited_at ?? current.published_at;
      const newAt = body.editedAt ?? new Date();
      if (newAt.getTime() <= currentAt.getTime()) return false;
      await tx.query(
        `INSERT INTO comment_edits (comment_id, content_html, summary, sensitive, version_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [current.id, current.content_html, current.summary, current.sensitive, currentAt],
      );
      await tx.query(
        `UPDATE comments SET content_html = $2, content_text = $3, language = $4, summary = $5,
                sensitive = $6, attachments = $7, edited_at = $8, updated_at = now()
          WHERE id = $1`,
        [
          current.id,
          body.contentHtml,
          body.contentText,
          body.language,
          body.summary,
          body.sensitive,
          JSON.stringify(body.attachments),
          newAt,
        ],
      );
      return true;
    });
  }

  /**
   * Removes (soft) the comment `apId` of `authorActorId`. When there is none, remembers the
   * Delete, so that a Create arriving after it stores nothing. Returns whether a comment went.
   */
  async removeOrTombstone(apId: string, authorActorId: string, reason: string): Promise<boolean> {
    const [, count] = await this.db.query<[unknown, number]>(
      `UPDATE comments SET status = 'removed', removed_at = now(), removal_reason = $3,
              updated_at = now()
        WHERE ap_id = $1 AND author_actor_id = $2 AND removed_at IS NULL`,
      [apId, authorActorId, reason],
    );
    if (count > 0) return true;
    if ((await this.placeOf(apId)) === null) {
      await this.db.query(
        `INSERT INTO comment_tombstones (ap_id, actor_id) VALUES ($1, $2)
         ON CONFLICT (ap_id) DO NOTHING`,
        [apId, authorActorId],
      );
    }
    return false;
  }

  /** Removes every comment of an actor (the actor was deleted); returns how many. */
  async removeByAuthor(authorActorId: string, reason: string): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(
      `UPDATE comments SET status = 'removed', removed_at = now(), removal_reason = $2,
              updated_at = now()
        WHERE author_actor_id = $1 AND removed_at IS NULL`,
      [authorActorId, reason],
    );
    return count;
  }

  /**
   * Ids of a story's shown comments (approved, public or unlisted), oldest first: direct replies
   * only, or the whole conversation; with how many there are.
   */
  async shownIds(
    articleId: string,
    directOnly: boolean,
    limit: number,
  ): Promise<{ total: number; ids: string[] }> {
    const rows = await this.db.query<{ ap_id: string; total: number }[]>(
      `SELECT ap_id, count(*) OVER ()::int AS total FROM comments
        WHERE article_id = $1 AND status = 'approved' AND visibility = ANY($2::text[])
          AND (NOT $3::boolean OR parent_id IS NULL)
        ORDER BY published_at, id
        LIMIT $4`,
      [articleId, SHOWN_VISIBILITIES, directOnly, limit],
    );
    return { total: rows[0]?.total ?? 0, ids: rows.map((r) => r.ap_id) };
  }

  /** A comment by its id, with what an answer written on the platform carries. */
  findById(id: string): Promise<StoredComment | null> {
    return this.findOne('id', id);
  }

  /** An answer written on the platform, by the platform's id of it. */
  findByPlatformId(platformId: string): Promise<StoredComment | null> {
    return this.findOne('platform_id', platformId);
  }

  private async findOne(
    column: 'id' | 'platform_id',
    value: string,
  ): Promise<StoredComment | null> {
    const rows = await this.db.query<CommentRow[]>(`SELECT * FROM comments WHERE ${column} = $1`, [
      value,
    ]);
    const row = rows[0];
    return row === undefined
      ? null
      : { ...commentOf(row), localAuthorId: row.local_author_id, platformId: row.platform_id };
  }

  /** Comments held for moderation, of every story, oldest first. */
  async pending(limit: number): Promise<Comment[]> {
    const rows = await this.db.query<CommentRow[]>(
      `SELECT * FROM comments WHERE status = 'pending' ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    return rows.map(commentOf);
  }

  /**
   * One page of a story's comments in thread order of arrival (oldest first), keyed by
   * (published_at, id) after `cursor`. Without `all`, only approved replies that are shown
   * (public, unlisted).
   */
  async page(
    articleId: string,
    options: { cursor: string | null; limit: number; all: boolean },
  ): Promise<{ items: Comment[]; next: string | null }> {
    const after =
      options.cursor === null
        ? null
        : decodeKeysetCursor(options.cursor, {
            time: isParsableTime,
            key: (k) => /^[0-9a-f-]{36}$/.test(k),
          });
    const rows = await this.db.query<CommentRow[]>(
      `SELECT * FROM comments
        WHERE article_id = $1
          AND ($2::boolean OR (status = 'approved' AND visibility = ANY($3::text[])))
          AND ($4::timestamptz IS NULL OR (published_at, id) > ($4::timestamptz, $5::uuid))
        ORDER BY published_at, id
        LIMIT $6`,
      [
        articleId,
        options.all,
        SHOWN_VISIBILITIES,
        after?.time ?? null,
        after?.key ?? null,
        options.limit + 1,
      ],
    );
    const items = rows.slice(0, options.limit).map(commentOf);
    const last = items.at(-1);
    return {
      items,
      next:
        rows.length > options.limit && last !== undefined
          ? encodeKeysetCursor(last.publishedAt.toISOString(), last.id)
          : null,
    };
  }
}

export function commentOf(r: CommentRow): Comment {
  return {
    id: r.id,
    apId: r.ap_id,
    url: r.url,
    articleId: r.article_id,
    parentId: r.parent_id,
    depth: r.depth,
    author: {
      actorId: r.author_actor_id,
      handle: r.author_handle,
      name: r.author_name,
      avatarUrl: r.author_avatar_url,
      profileUrl: r.author_profile_url,
      host: r.author_host,
    },
    contentHtml: r.content_html,
    contentText: r.content_text,
    language: r.language,
    summary: r.summary,
    sensitive: r.sensitive,
    attachments: r.attachments,
    visibility: r.visibility,
    status: r.status,
    publishedAt: r.published_at,
    editedAt: r.edited_at,
    createdAt: r.created_at,
  };
}
