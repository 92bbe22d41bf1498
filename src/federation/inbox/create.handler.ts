import type { DocumentLoader, InboxContext, RemoteDocument } from '@fedify/fedify';
import { INSTANCE_IDENTIFIER } from '../../actors/actor-urls.js';
import {
  Object as APObject,
  Article,
  type Create,
  type Update,
  Document,
  Image,
  isActor,
  LanguageString,
  Link,
  Note,
  Page,
  PUBLIC_COLLECTION,
} from '@fedify/vocab';
import { commentPlainText, sanitizeCommentHtml } from '../../comments/comment-html.js';
import type { ReplyPlace } from '../../comments/comment-intake.js';
import type {
  CommentAttachment,
  CommentAuthor,
  CommentVisibility,
  InboundComment,
  ReplyBody,
} from '../../comments/comment.js';
import { TtlCache } from '../../common/cached-lookup.js';
import { DocumentLoaderError } from '../../net/index.js';
import type { InboxDeps } from './inbox-deps.js';
import { type FetchedPost, walkUpThread } from './reply-thread.js';

/** Longest reply HTML read. */
const MAX_CONTENT_CHARS = 100_000;
/** Attachments kept per reply. */
const MAX_ATTACHMENTS = 8;
/** How long, and for how many actors, an author's snapshot is reused. */
const AUTHOR_TTL_MS = 5 * 60_000;
const AUTHORS_KEPT = 2_000;

/**
 * Create of a Note (or Article, Page) that answers one of our stories or a comment we know →
 * a stored comment, from any server, follower or not. The object must be its actor's own: same
 * `attributedTo` as the activity's actor, and an id on the actor's origin (the activity itself is
 * signed by that actor, which Fedify checked).
 *
 * A reply whose parent we do not have is placed by walking up its thread
 * ({@link walkUpThread}: at most 5 fetches through the SSRF-safe loader, each post its author's
 * own). When the walk reaches one of our stories or a known comment, the fetched ancestors are
 * stored top-down, each as a comment of its own (blocks, tombstones and moderation apply to
 * them as to any reply), then the reply under the last. Otherwise, or when an ancestor is
 * refused, the reply is ignored with one log line and nothing of the walk is stored; a failed
 * fetch never fails the handler (no 5xx, no retry).
 */
export class CreateHandler {
  /**
   * Authors of recent replies: a thread's regulars are not fetched and parsed again for every
   * reply (the snapshot may be five minutes old; a failed read is not kept).
   */
  private readonly authors = new TtlCache<string, AuthorSnapshot | null>(
    AUTHOR_TTL_MS,
    AUTHORS_KEPT,
    (author) => author !== null,
  );

  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, create: Create): Promise<void> {
    const intake = this.deps.comments;
    if (intake === undefined) return;
    const object = await create.getObject(ctx);
    if (!isReplyObject(object)) return;
    const actorId = create.actorId;
    const id = object.id;
    const inReplyTo = object.replyTargetId;
    if (actorId === null || id === null || inReplyTo === null) return;
    if (object.attributionId?.href !== actorId.href || id.origin !== actorId.origin) {
      this.deps.log(`Create ${create.id?.href ?? '?'} ignored: its object is not its actor's own`);
      return;
    }
    let place = await intake.placeFor(inReplyTo.href);
    let ancestors: readonly ReplyObject[] = [];
    if (place === null) {
      // Signed by the instance actor: servers in authorized-fetch mode (Mastodon's secure mode,
      // GoToSocial) answer unsigned requests for posts with 401.
      const loader = await ctx.getDocumentLoader({ identifier: INSTANCE_IDENTIFIER });
      const walk = await walkUpThread(inReplyTo, {
        fetchPost: (url) => fetchReplyObject(ctx, url, loader),
        placeFor: (uri) => intake.placeFor(uri),
        seen: [id.href],
      });
      if (!walk.ok) {
        this.deps.log(`reply ${id.href} ignored: ${walk.reason}`);
        return;
      }
      place = walk.anchor;
      ancestors = walk.ancestors;
    }

    // Every author is read before anything is stored, so a failure leaves no partial thread.
    const reply = await commentDraftOf(ctx, object, this.authors, create);
    if (reply === null) {
      this.deps.log(`reply ${id.href} ignored: its author could not be read`);
      return;
    }
    const drafts: CommentDraft[] = [];
    for (const ancestor of ancestors) {
      const draft = await commentDraftOf(ctx, ancestor, this.authors);
      if (draft === null) {
        this.deps.log(
          `reply ${id.href} ignored: the author of its ancestor ${ancestor.id?.href ?? '?'} could not be read`,
        );
        return;
      }
      drafts.push(draft);
    }
    for (const draft of drafts) {
      const stored = await intake.receive(placed(draft, place));
      // Re-read rather than compute: another reply of the thread may have stored it first.
      const below = stored === null ? null : await intake.placeFor(draft.apId);
      if (below === null) {
        this.deps.log(`reply ${id.href} ignored: its ancestor ${draft.apId} was not stored`);
        return;
      }
      place = below;
    }
    await intake.receive(placed(reply, place));
    if (drafts.length > 0) {
      this.deps.log(`reply ${id.href} placed after fetching ${drafts.length} ancestor(s)`);
    }
  }
}

/** A comment before it has a place in its thread. */
type CommentDraft = Omit<InboundComment, 'articleId' | 'parentId' | 'depth'>;

/** A reply's author as stored, and their followers collection (for the visibility). */
interface AuthorSnapshot {
  readonly author: CommentAuthor;
  readonly followers: string | null;
}

/**
 * A reply object as a comment to store, its place aside: its author (which must be the actor
 * its `attributedTo` names; read through the `authors` cache), its body and visibility.
 * `activity` is the Create that carried it, when it came in one (for a fallback published time).
 * Null when the author cannot be read.
 */
async function commentDraftOf(
  ctx: InboxContext<void>,
  object: ReplyObject,
  authors: TtlCache<string, AuthorSnapshot | null>,
  activity?: Create,
): Promise<CommentDraft | null> {
  const id = object.id;
  const authorId = object.attributionId;
  if (id === null || authorId === null) return null;
  const author = await authors.get(authorId.href, () => authorOf(ctx, object, authorId));
  if (author === null) return null;
  const recipients = [...object.toIds, ...object.ccIds].map((u) => u.href);
  const body = await replyBodyOf(ctx, object, activity);
  return {
    apId: id.href,
    url: hrefOf(object.url),
    author: author.author,
    ...body,
    visibility: visibilityOf(object.toIds, recipients, author.followers),
  };
}

/** The author of `object`, which must be the actor `authorId`; null when it cannot be read. */
async function authorOf(
  ctx: InboxContext<void>,
  object: ReplyObject,
  authorId: URL,
): Promise<AuthorSnapshot | null> {
  try {
    const author = await object.getAttribution(ctx);
    if (author === null || !isActor(author) || author.id?.href !== authorId.href) return null;
    const icon = await author.getIcon(ctx).catch(() => null);
    return {
      author: {
        actorId: authorId.href,
        handle: `@${author.preferredUsername?.toString() ?? '?'}@${authorId.host}`,
        name: author.name?.toString() ?? null,
        avatarUrl: hrefOf(icon?.url ?? null),
        profileUrl: hrefOf(author.url),
        host: authorId.host,
      },
      followers: author.followersId?.href ?? null,
    };
  } catch {
    // The actor could not be fetched or parsed: the caller logs why the reply is ignored.
    return null;
  }
}

/** `draft` placed under a story or comment. */
function placed(draft: CommentDraft, place: ReplyPlace): InboundComment {
  return { ...draft, articleId: place.articleId, parentId: place.parentId, depth: place.depth };
}

/**
 * The reply object at `url`, fetched through the context's (SSRF-safe) document loader, which
 * also makes sure the document's id is the URL that served it. A URL of ours (not fetched), not
 * a Note, Article or Page, or an id on another origin than the document's → refused, with why.
 */
export async function fetchReplyObject(
  ctx: InboxContext<void>,
  url: URL,
  loader: DocumentLoader = ctx.documentLoader,
): Promise<FetchedPost<ReplyObject>> {
  // Placed already if it were a live story of ours; anything else of ours is not fetched.
  if (url.origin === ctx.canonicalOrigin || url.origin === ctx.origin) {
    return { ok: false, reason: 'it is on our own origin, and not a live story' };
  }
  let document: RemoteDocument;
  try {
    document = await loader(url.href);
  } catch (error) {
    return { ok: false, reason: fetchFailure(error) };
  }
  const served = new URL(document.documentUrl);
  let object: APObject;
  try {
    object = await APObject.fromJsonLd(document.document, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
      baseUrl: served,
    });
  } catch {
    return { ok: false, reason: 'not an ActivityStreams object' };
  }
  if (!isReplyObject(object)) return { ok: false, reason: 'not a Note, Article or Page' };
  if (object.id?.origin !== served.origin) {
    return { ok: false, reason: `its id is not on ${served.origin}, which served it` };
  }
  return { ok: true, post: object };
}

/** Why a document could not be loaded, for the log: the loader's reason, else the message. */
function fetchFailure(error: unknown): string {
  if (error instanceof DocumentLoaderError) {
    const status = error.response?.status;
    return `fetch failed (${status === undefined ? error.reason : `HTTP ${status}`})`;
  }
  return `fetch failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** A reply object as Fedify parsed it. */
export type ReplyObject = Note | Article | Page;

/** Whether `object` is a kind of object the bridge takes as a reply. */
export function isReplyObject(object: unknown): object is ReplyObject {
  return object instanceof Note || object instanceof Article || object instanceof Page;
}

/**
 * What a reply says, as stored: the parts an edit can change. `activity` (the Create or Update
 * that carried it, if any) gives the published time when the object has none.
 */
export async function replyBodyOf(
  ctx: InboxContext<void>,
  object: ReplyObject,
  activity?: Create | Update,
): Promise<ReplyBody> {
  const content = object.content;
  // The body is at most 1 MiB already; a reply's HTML is cut at 100,000 characters before the
  // sanitizer (which repairs what the cut breaks).
  const html = sanitizeCommentHtml(
    content === null ? '' : content.toString().slice(0, MAX_CONTENT_CHARS),
  );
  const { published, updated } = timesOf(object, activity);
  return {
    contentHtml: html,
    contentText: commentPlainText(html),
    // `content` and `contentMap` both land in `contents`; the language is the tagged one's.
    // Pleroma's context tags everything "und" (undetermined): not a language.
    language:
      object.contents
        .filter((c): c is LanguageString => c instanceof LanguageString)
        .map((c) => c.locale.baseName)
        .find((tag) => tag !== 'und') ?? null,
    summary: object.summary?.toString() ?? null,
    sensitive: object.sensitive === true,
    attachments: await attachmentsOf(ctx, object),
    publishedAt: published,
    editedAt: updated,
  };
}

/** public: Public in `to`; unlisted: Public in `cc`; followers: the author's followers; else direct. */
export function visibilityOf(
  to: readonly URL[],
  all: readonly string[],
  followers: string | null,
): CommentVisibility {
  const isPublic = (u: string) =>
    u === PUBLIC_COLLECTION.href || u === 'as:Public' || u === 'Public';
  if (to.some((u) => isPublic(u.href))) return 'public';
  if (all.some(isPublic)) return 'unlisted';
  if (followers !== null && all.includes(followers)) return 'followers';
  return 'direct';
}

/** A reply's `published` (else its activity's, else now) and `updated`, as Dates. */
function timesOf(
  object: ReplyObject,
  activity: Create | Update | undefined,
): { published: Date; updated: Date | null } {
  const dateOf = (instant: { readonly epochMilliseconds: number } | null): Date | null =>
    instant === null ? null : new Date(instant.epochMilliseconds);
  /* eslint-disable @typescript-eslint/no-unsafe-argument -- Fedify's Temporal.Instant types
     resolve for tsc but not in the linter's program; the values are Temporal.Instants. */
  const published = dateOf(object.published) ?? dateOf(activity?.published ?? null) ?? new Date();
  const updated = dateOf(object.updated);
  /* eslint-enable @typescript-eslint/no-unsafe-argument */
  return { published, updated };
}

function hrefOf(value: URL | Link | null): string | null {
  if (value === null) return null;
  if (value instanceof URL) return value.href;
  return value.href?.href ?? null;
}

async function attachmentsOf(
  ctx: InboxContext<void>,
  object: ReplyObject,
): Promise<CommentAttachment[]> {
  const out: CommentAttachment[] = [];
  try {
    for await (const item of object.getAttachments(ctx)) {
      if (!(item instanceof Document || item instanceof Image)) continue;
      const url = hrefOf(item.url);
      if (url === null || !/^https?:/.test(url)) continue;
      out.push({
        url,
        mediaType: item.mediaType ?? null,
        // GoToSocial puts the description in `summary`; Mastodon reads `name`, then `summary`.
        alt: item.name?.toString() ?? item.summary?.toString() ?? null,
      });
      if (out.length >= MAX_ATTACHMENTS) break;
    }
  } catch {
    // An attachment that cannot be read is left out; the reply is kept.
  }
  return out;
}
