import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { ArticleChangeKind } from './article.js';
import { ArticleEntity } from './article.entity.js';

/**
 * A stored change waiting for (or handed to) the publisher: the transactional outbox between
 * ingestion and the publish queue. Written in the same transaction as the article; `enqueued_at`
 * is set once its publish job is in the queue, and a relay re-enqueues rows left without it.
 */
@Entity({ name: 'article_changes' })
@Index('article_changes_unenqueued_idx', ['id'], { where: 'enqueued_at IS NULL' })
@Index('article_changes_article_idx', ['articleId', 'id'])
export class ArticleChangeEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'article_id', type: 'uuid' })
  articleId: string;

  @ManyToOne(() => ArticleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id' })
  article?: ArticleEntity;

  @Column({ type: 'varchar', length: 16 })
  change: ArticleChangeKind;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt: Date | null;
}
