import type { ArticleChangeKind } from '../articles/article.js';

/** What ingestion knows about a stored story when an event for it arrives. */
export interface StoredState {
  readonly sourceUpdatedAt: Date;
  readonly contentHash: string;
  readonly deletedAt: Date | null;
}

/** What to do with an event. */
export type Decision =
  | {
      readonly outcome: 'applied';
      readonly change: ArticleChangeKind | null;
      readonly reason?: string;
    }
  | { readonly outcome: 'unchanged' | 'stale'; readonly reason: string };

/**
 * An `article.published` or `article.updated`: create when unknown; update when newer (by the
 * platform's `updatedAt`) and something readers see changed. A story deleted once stays deleted:
 * fediverse servers remember the Tombstone of its id, so a re-published story needs a new
 * platform id.
 */
export function decideUpsert(
  stored: StoredState | null,
  incoming: { readonly updatedAt: Date; readonly contentHash: string },
  deletedBefore: boolean,
): Decision {
  if (deletedBefore || stored?.deletedAt != null) {
    return { outcome: 'stale', reason: 'article_deleted' };
  }
  if (stored === null) return { outcome: 'applied', change: 'create' };
  const age = incoming.updatedAt.getTime() - stored.sourceUpdatedAt.getTime();
  if (age < 0) return { outcome: 'stale', reason: 'older_than_stored' };
  if (incoming.contentHash === stored.contentHash) {
    return { outcome: 'unchanged', reason: 'same_content' };
  }
  return { outcome: 'applied', change: 'update' };
}

/** An `article.deleted`: recorded even for an unknown story, so a late `published` is refused. */
export function decideDelete(stored: StoredState | null): Decision {
  if (stored === null) return { outcome: 'applied', change: null, reason: 'unknown_article' };
  if (stored.deletedAt !== null) return { outcome: 'unchanged', reason: 'already_deleted' };
  return { outcome: 'applied', change: 'delete' };
}
