import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Article, CoverImage, Visibility } from './article.js';

/** A row of `articles` as node-postgres returns it. */
export interface ArticleRow {
  id: string;
  platform_id: string;
  canonical_url: string;
  title: string;
  subtitle: string | null;
  content_html: string;
  excerpt: string | null;
  language: string | null;
  tags: string[];
  cover_image: CoverImage | null;
  visibility: Visibility;
  content_warning: string | null;
  comments_enabled: boolean;
  author_ids: string[];
  publication_id: string | null;
  content_hash: string;
  published_at: Date;
  source_updated_at: Date;
  deleted_at: Date | null;
  pinned_at: Date | null;
  created_at: Date;
  modified_at: Date;
}

/** Why a story's pin could not change. */
export type PinRefusal = 'not_found' | 'deleted';

/** The outcome of {@link ArticleRepository.setPinned}: the story as it now is, or why not. */
export type PinResult =
  | { readonly ok: true; readonly article: Article }
  | { readonly ok: false; readonly reason: PinRefusal };

/** Stories as stored: the read side, and the pin flag (ingestion writes the content). */
@Injectable()
export class ArticleRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findById(id: string): Promise<Article | null> {
    const rows = await this.db.query<ArticleRow[]>(`SELECT * FROM articles WHERE id = $1`, [id]);
    const row = rows[0];
    return row === undefined ? null : articleOf(row);
  }

  async findByPlatformId(platformId: string): Promise<Article | null> {
    const rows = await this.db.query<ArticleRow[]>(
      `SELECT * FROM articles WHERE platform_id = $1`,
      [platformId],
    );
    const row = rows[0];
    return row === undefined ? null : articleOf(row);
  }

  /**
   * Live public stories carrying `tag` (compared case-insensitively), newest first, and how many
   * there are. Unlisted and members-only stories are left out.
   */
  async withTag(
    tag: string,
    limit: number,
  ): Promise<{ total: number; items: Pick<Article, 'id' | 'title' | 'url' | 'publishedAt'>[] }> {
    const rows = await this.db.query<
      { id: string; title: string; canonical_url: string; published_at: Date; total: number }[]
    >(
      `SELECT id, title, canonical_url, published_at, count(*) OVER ()::int AS total
         FROM articles
        WHERE deleted_at IS NULL AND visibility = 'public'
          AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(tags) t WHERE lower(t) = lower($1))
        ORDER BY published_at DESC, id
        LIMIT $2`,
      [tag, limit],
    );
    return {
      total: rows[0]?.total ?? 0,
      items: rows.map((r) => ({
        id: r.id,
        title: r.title,
        url: r.canonical_url,
        publishedAt: r.published_at,
      })),
    };
  }

  /**
   * Pins (`pinned` true) or unpins a story by its platform id. Pinning a pinned story keeps its
   * first `pinnedAt`, so repeating the call changes nothing. A deleted story stays as it is:
   * deletion is final (see ingestion's decide.ts), and its pin no longer shows anywhere.
   */
  async setPinned(platformId: string, pinned: boolean): Promise<PinResult> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows] = await this.db.query<[ArticleRow[], number]>(
      `UPDATE articles
          SET pinned_at = CASE WHEN $2::boolean THEN COALESCE(pinned_at, now()) ELSE NULL END
        WHERE platform_id = $1 AND deleted_at IS NULL
        RETURNING *`,
      [platformId, pinned],
    );
    const row = rows[0];
    if (row !== undefined) return { ok: true, article: articleOf(row) };
    const existing = await this.findByPlatformId(platformId);
    return { ok: false, reason: existing === null ? 'not_found' : 'deleted' };
  }
}

/** The domain object of an `articles` row (`SELECT *`). */
export function articleOf(r: ArticleRow): Article {
  return {
    id: r.id,
    platformId: r.platform_id,
    url: r.canonical_url,
    title: r.title,
    subtitle: r.subtitle,
    contentHtml: r.content_html,
    excerpt: r.excerpt,
    language: r.language,
    tags: r.tags,
    coverImage: r.cover_image,
    publishedAt: r.published_at,
    updatedAt: r.source_updated_at,
    visibility: r.visibility,
    contentWarning: r.content_warning,
    commentsEnabled: r.comments_enabled,
    authorIds: r.author_ids,
    publicationId: r.publication_id,
    contentHash: r.content_hash,
    deletedAt: r.deleted_at,
    pinnedAt: r.pinned_at,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}
