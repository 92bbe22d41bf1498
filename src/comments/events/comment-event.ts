import type { Comment } from '../comment.js';
import { type CommentRow, commentOf } from '../comment.repository.js';
import { type CommentView, viewOf } from '../comment-view.js';
import type { CommentEventType } from './comment-event.entity.js';

/**
 * A comment event as the platform receives it, on the Kafka topic (the record's value, keyed by
 * the story's platform id) and in webhooks (the payload of the JWS).
 */
export interface CommentEventMessage {
  /** Increases with every event; a receiver that saw an id already can drop the repeat. */
  readonly id: string;
  readonly type: CommentEventType;
  readonly occurredAt: string;
  /** The story the comment is under: the platform's id and the bridge's. */
  readonly article: { readonly platformId: string; readonly id: string };
  /** The comment as it was right after the change. */
  readonly comment: CommentView & {
    /** Why it was removed or rejected, for `comment.deleted`. */
    readonly removalReason: string | null;
    /** For answers written on the platform: the platform's id of the answer. */
    readonly platformId: string | null;
  };
}

/** A stored event with what the message needs. */
export interface StoredCommentEvent {
  readonly seq: string;
  readonly type: CommentEventType;
  readonly snapshot: Record<string, unknown>;
  readonly createdAt: Date;
  readonly articlePlatformId: string;
}

const DATE_COLUMNS = ['published_at', 'edited_at', 'created_at'] as const;

/** The wire message of a stored event. */
export function commentEventMessage(event: StoredCommentEvent): CommentEventMessage {
  const row = { ...event.snapshot } as Record<string, unknown>;
  for (const column of DATE_COLUMNS) {
    const value = row[column];
    row[column] = typeof value === 'string' ? new Date(value) : null;
  }
  const comment: Comment = commentOf(row as unknown as CommentRow);
  return {
    id: event.seq,
    type: event.type,
    occurredAt: event.createdAt.toISOString(),
    article: { platformId: event.articlePlatformId, id: comment.articleId },
    comment: {
      ...viewOf(comment),
      removalReason: stringOrNull(row.removal_reason),
      platformId: stringOrNull(row.platform_id),
    },
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
