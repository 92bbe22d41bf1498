/** Who may read a story: everyone, paying members only, or everyone but kept off public timelines. */
export type Visibility = 'public' | 'members' | 'unlisted';

/** A story's cover image. */
export interface CoverImage {
  readonly url: string;
  readonly alt: string;
}

/** The content of a story as the platform (or a feed) describes it. */
export interface ArticleContent {
  /** The platform's id of the story; unique across the bridge. */
  readonly platformId: string;
  /** Canonical URL on the platform. */
  readonly url: string;
  readonly title: string;
  readonly subtitle: string | null;
  readonly contentHtml: string;
  readonly excerpt: string | null;
  /** BCP 47 language tag. */
  readonly language: string | null;
  readonly tags: readonly string[];
  readonly coverImage: CoverImage | null;
  readonly publishedAt: Date;
  readonly updatedAt: Date;
  readonly visibility: Visibility;
  readonly contentWarning: string | null;
  readonly commentsEnabled: boolean;
}

/** A stored story. */
export interface Article extends ArticleContent {
  /** Internal id; the ActivityPub object id is built from it. */
  readonly id: string;
  /** Author actor ids, primary author first. */
  readonly authorIds: readonly string[];
  /** The publication actor's id, when the story belongs to one. */
  readonly publicationId: string | null;
  /** Hash of the content fields; equal hashes mean nothing a reader sees changed. */
  readonly contentHash: string;
  readonly deletedAt: Date | null;
  /** When it was pinned to its authors' and publication's featured collections; null if not. */
  readonly pinnedAt: Date | null;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
}

/** What a stored change asks the publisher to do. */
export type ArticleChangeKind = 'create' | 'update' | 'delete';
