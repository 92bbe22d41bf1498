import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ActorEntity } from '../actors/actor.entity.js';
import { ArticleEntity } from '../articles/article.entity.js';
import type { CommentAttachment, CommentStatus, CommentVisibility } from './comment.js';

/**
 * A reply from the fediverse to one of our stories, or to a reply we know: its place in the
 * thread, a snapshot of its author, the sanitized content, and its moderation status.
 */
@Entity({ name: 'comments' })
@Index('comments_article_idx', ['articleId', 'publishedAt'])
@Index('comments_parent_idx', ['parentId'])
@Index('comments_author_idx', ['authorActorId'])
export class CommentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The reply's ActivityPub id. */
  @Column({ name: 'ap_id', type: 'text', unique: true })
  apId: string;

  /** Its web page on its server. */
  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Column({ name: 'article_id', type: 'uuid' })
  articleId: string;

  @ManyToOne(() => ArticleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id' })
  article?: ArticleEntity;

  /** The comment it answers; null when it answers the story. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @ManyToOne(() => CommentEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_id' })
  parent?: CommentEntity;

  /** 0 for a reply to the story, parent's depth + 1 below. */
  @Column({ type: 'int', default: 0 })
  depth: number;

  @Column({ name: 'author_actor_id', type: 'text' })
  authorActorId: string;

  @Column({ name: 'author_handle', type: 'text' })
  authorHandle: string;

  @Column({ name: 'author_name', type: 'text', nullable: true })
  authorName: string | null;

  @Column({ name: 'author_avatar_url', type: 'text', nullable: true })
  authorAvatarUrl: string | null;

  @Column({ name: 'author_profile_url', type: 'text', nullable: true })
  authorProfileUrl: string | null;

  @Column({ name: 'author_host', type: 'varchar', length: 255 })
  authorHost: string;

  @Column({ name: 'content_html', type: 'text' })
  contentHtml: string;

  @Column({ name: 'content_text', type: 'text' })
  contentText: string;

  @Column({ type: 'varchar', length: 35, nullable: true })
  language: string | null;

  /** The content warning, when `sensitive`. */
  @Column({ type: 'text', nullable: true })
  summary: string | null;

  @Column({ type: 'boolean', default: false })
  sensitive: boolean;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attachments: CommentAttachment[];

  @Column({ type: 'varchar', length: 16 })
  visibility: CommentVisibility;

  @Column({ type: 'varchar', length: 16, default: 'approved' })
  status: CommentStatus;

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  /** When it was deleted (status `removed`), and why. */
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt: Date | null;

  @Column({ name: 'removal_reason', type: 'text', nullable: true })
  removalReason: string | null;

  /**
   * For an answer written on the platform (reply-back): our author who wrote it, and the
   * platform's id of the answer (unique, so a repeated request or event stores it once).
   */
  @Column({ name: 'local_author_id', type: 'uuid', nullable: true })
  localAuthorId: string | null;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'local_author_id' })
  localAuthor?: ActorEntity;

  @Column({ name: 'platform_id', type: 'text', nullable: true, unique: true })
  platformId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/** An earlier version of an edited comment. */
@Entity({ name: 'comment_edits' })
@Index('comment_edits_comment_idx', ['commentId', 'recordedAt'])
export class CommentEditEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'comment_id', type: 'uuid' })
  commentId: string;

  @ManyToOne(() => CommentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'comment_id' })
  comment?: CommentEntity;

  @Column({ name: 'content_html', type: 'text' })
  contentHtml: string;

  @Column({ type: 'text', nullable: true })
  summary: string | null;

  @Column({ type: 'boolean', default: false })
  sensitive: boolean;

  /** When this version was written (its `updated`, else its `published`). */
  @Column({ name: 'version_at', type: 'timestamptz' })
  versionAt: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt: Date;
}

/**
 * A Delete of an object we did not have: remembered, so that its Create arriving late (queues
 * reorder) does not bring it back.
 */
@Entity({ name: 'comment_tombstones' })
export class CommentTombstoneEntity {
  @PrimaryColumn({ name: 'ap_id', type: 'text' })
  apId: string;

  @Column({ name: 'actor_id', type: 'text' })
  actorId: string;

  @Column({ name: 'deleted_at', type: 'timestamptz', default: () => 'now()' })
  deletedAt: Date;
}

/** A like or a boost of one of our stories by a remote actor. */
@Entity({ name: 'article_interactions' })
@Index('article_interactions_actor_key', ['articleId', 'type', 'actorId'], { unique: true })
@Index('article_interactions_actor_idx', ['actorId'])
export class ArticleInteractionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'article_id', type: 'uuid' })
  articleId: string;

  @ManyToOne(() => ArticleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id' })
  article?: ArticleEntity;

  @Column({ type: 'varchar', length: 16 })
  type: 'like' | 'announce';

  @Column({ name: 'actor_id', type: 'text' })
  actorId: string;

  /** The Like or Announce activity's id, which its Undo names. */
  @Column({ name: 'activity_id', type: 'text', nullable: true })
  activityId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** A report (ActivityPub `Flag`) a remote server sent about our stories, comments or actors. */
@Entity({ name: 'moderation_reports' })
@Index('moderation_reports_created_idx', ['createdAt'])
export class ModerationReportEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The Flag's id; a repeated Flag is stored once. */
  @Column({ name: 'ap_id', type: 'text', unique: true })
  apId: string;

  /** Who sent it: usually the reporting server's instance actor (Mastodon hides the user). */
  @Column({ name: 'reporter_actor_id', type: 'text' })
  reporterActorId: string;

  @Column({ name: 'reporter_host', type: 'varchar', length: 255 })
  reporterHost: string;

  /** The reporter's comment, as plain text. */
  @Column({ type: 'text', nullable: true })
  content: string | null;

  /** What it names: ids of our actors and stories, and of comments, as sent. */
  @Column({ type: 'jsonb' })
  targets: string[];

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status: 'open' | 'resolved';

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** How a publication's comments are moderated. */
export type ModerationMode = 'auto' | 'hold_all' | 'hold_first_time';

/**
 * A publication's comment policy: approve everything, hold everything, or hold the first reply of
 * each commenter; replies containing one of `keywords` are always held. Stories without a
 * publication, and publications without a row, approve everything.
 */
@Entity({ name: 'moderation_policies' })
export class ModerationPolicyEntity {
  @PrimaryColumn({ name: 'publication_id', type: 'uuid' })
  publicationId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'publication_id' })
  publication?: ActorEntity;

  @Column({ type: 'varchar', length: 16, default: 'auto' })
  mode: ModerationMode;

  /** Lower-case words or phrases that send a reply to `pending`. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  keywords: string[];

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/** A blocked remote domain or actor: its activities are refused, its comments hidden. */
@Entity({ name: 'moderation_blocks' })
export class ModerationBlockEntity {
  /** `domain:{host}` or `actor:{actor id}`. */
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'varchar', length: 8 })
  kind: 'domain' | 'actor';

  @Column({ type: 'text' })
  value: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
