/** Who may see a reply on the fediverse, from its addressing. */
export type CommentVisibility = 'public' | 'unlisted' | 'followers' | 'direct';

/** Where a comment stands in moderation. */
export type CommentStatus = 'pending' | 'approved' | 'rejected' | 'removed';

/** An image or other file attached to a reply, kept as a remote URL. */
export interface CommentAttachment {
  readonly url: string;
  readonly mediaType: string | null;
  readonly alt: string | null;
}

/** The reply's author as seen when it arrived. */
export interface CommentAuthor {
  /** The actor's ActivityPub id. */
  readonly actorId: string;
  /** `@user@host`. */
  readonly handle: string;
  readonly name: string | null;
  readonly avatarUrl: string | null;
  readonly profileUrl: string | null;
  readonly host: string;
}

/** The parts of a reply its author can change with an Update. */
export interface ReplyBody {
  readonly contentHtml: string;
  readonly contentText: string;
  readonly language: string | null;
  readonly summary: string | null;
  readonly sensitive: boolean;
  readonly attachments: readonly CommentAttachment[];
  readonly publishedAt: Date;
  readonly editedAt: Date | null;
}

/** A reply from the fediverse, as the inbox hands it to storage. */
export interface InboundComment extends ReplyBody {
  readonly apId: string;
  readonly url: string | null;
  readonly articleId: string;
  readonly parentId: string | null;
  readonly depth: number;
  readonly author: CommentAuthor;
  readonly visibility: CommentVisibility;
}

/** A stored comment. */
export interface Comment extends InboundComment {
  readonly id: string;
  readonly status: CommentStatus;
  readonly createdAt: Date;
}
