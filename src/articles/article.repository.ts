import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Article, CoverImage, Visibility } from './article.js';

interface ArticleRow {
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
  created_at: Date;
  modified_at: Date;
}

/** Stories as stored, read side (ingestion writes them). */
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
}

function articleOf(r: ArticleRow): Article {
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
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}
