import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { ArticleEntity } from '../articles/article.entity.js';

/** Where a story stands on the fediverse: sent (Create), or deleted (Delete sent). */
export type FederationState = 'published' | 'deleted';

/**
 * What followers were last sent about a story: who created it (Update and Delete must come from
 * the same actor), the hash of the Article they have, and the activities. Written in the same
 * transaction as those activities, so a retried publish job sees what the first one did.
 */
@Entity({ name: 'article_federation' })
export class ArticleFederationEntity {
  @PrimaryColumn({ name: 'article_id', type: 'uuid' })
  articleId: string;

  @OneToOne(() => ArticleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id' })
  article?: ArticleEntity;

  @Column({ type: 'varchar', length: 16 })
  state: FederationState;

  /** The actor whose Create introduced the story; it signs every later Update and Delete. */
  @Column({ name: 'actor_id', type: 'uuid' })
  actorId: string;

  /** Hash of the rendered Article followers have (without `updated`). */
  @Column({ name: 'rendered_hash', type: 'varchar', length: 64 })
  renderedHash: string;

  @Column({ name: 'create_activity_id', type: 'uuid' })
  createActivityId: string;

  @Column({ name: 'last_activity_id', type: 'uuid' })
  lastActivityId: string;

  @Column({ name: 'published_at', type: 'timestamptz', default: () => 'now()' })
  publishedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
