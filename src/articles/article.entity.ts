import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ActorEntity } from '../actors/actor.entity.js';
import type { CoverImage, Visibility } from './article.js';

/** A story the bridge publishes: its content as last ingested, and whether it was deleted. */
@Entity({ name: 'articles' })
@Index('articles_platform_id_key', ['platformId'], { unique: true })
@Index('articles_publication_idx', ['publicationId', 'publishedAt'])
@Index('articles_primary_author_idx', ['primaryAuthorId', 'publishedAt'])
export class ArticleEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'platform_id', type: 'text' })
  platformId: string;

  @Column({ name: 'canonical_url', type: 'text' })
  canonicalUrl: string;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text', nullable: true })
  subtitle: string | null;

  @Column({ name: 'content_html', type: 'text' })
  contentHtml: string;

  @Column({ type: 'text', nullable: true })
  excerpt: string | null;

  @Column({ type: 'varchar', length: 35, nullable: true })
  language: string | null;

  @Column({ type: 'jsonb' })
  tags: string[];

  @Column({ name: 'cover_image', type: 'jsonb', nullable: true })
  coverImage: CoverImage | null;

  @Column({ type: 'varchar', length: 16 })
  visibility: Visibility;

  @Column({ name: 'content_warning', type: 'text', nullable: true })
  contentWarning: string | null;

  @Column({ name: 'comments_enabled', type: 'boolean', default: true })
  commentsEnabled: boolean;

  @Column({ name: 'primary_author_id', type: 'uuid' })
  primaryAuthorId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'primary_author_id' })
  primaryAuthor?: ActorEntity;

  /** Every author's actor id, primary author first. */
  @Column({ name: 'author_ids', type: 'jsonb' })
  authorIds: string[];

  @Column({ name: 'publication_id', type: 'uuid', nullable: true })
  publicationId: string | null;

  @ManyToOne(() => ActorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'publication_id' })
  publication?: ActorEntity;

  /** sha256 over what readers see; equal hashes mean an update changed nothing visible. */
  @Column({ name: 'content_hash', type: 'varchar', length: 64 })
  contentHash: string;

  /** The platform's publication time. */
  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;

  /** The platform's last-modified time; older events than this are ignored. */
  @Column({ name: 'source_updated_at', type: 'timestamptz' })
  sourceUpdatedAt: Date;

  /** When the platform deleted or unpublished it (the event's `occurredAt`). */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /** When the story was pinned to its authors' and publication's featured collections. */
  @Column({ name: 'pinned_at', type: 'timestamptz', nullable: true })
  pinnedAt: Date | null;

  /** The event that last changed this row. */
  @Column({ name: 'last_event_id', type: 'uuid' })
  lastEventId: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'modified_at', type: 'timestamptz', default: () => 'now()' })
  modifiedAt: Date;
}
