import type { Comment } from './comment.js';

/** A comment as the platform reads it. */
export interface CommentView {
  readonly id: string;
  readonly apId: string;
  readonly url: string | null;
  readonly parentId: string | null;
  readonly depth: number;
  readonly author: Comment['author'];
  readonly contentHtml: string;
  readonly contentText: string;
  readonly language: string | null;
  readonly contentWarning: string | null;
  readonly attachments: Comment['attachments'];
  readonly visibility: Comment['visibility'];
  readonly status: Comment['status'];
  readonly publishedAt: string;
  readonly editedAt: string | null;
}

/** A stored comment as the platform reads it. */
export function viewOf(c: Comment): CommentView {
  return {
    id: c.id,
    apId: c.apId,
    url: c.url,
    parentId: c.parentId,
    depth: c.depth,
    author: c.author,
    contentHtml: c.contentHtml,
    contentText: c.contentText,
    language: c.language,
    contentWarning: c.sensitive ? c.summary : null,
    attachments: c.attachments,
    visibility: c.visibility,
    status: c.status,
    publishedAt: c.publishedAt.toISOString(),
    editedAt: c.editedAt?.toISOString() ?? null,
  };
}
