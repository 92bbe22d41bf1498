import type { InboxContext } from '@fedify/fedify';
import {
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
import type {
  CommentAttachment,
  CommentVisibility,
  InboundComment,
  ReplyBody,
} from '../../comments/comment.js';
import type { InboxDeps } from './inbox-deps.js';

/** Longest reply HTML read. */
const MAX_CONTENT_CHARS = 100_000;
/** Attachments kept per reply. */
const MAX_ATTACHMENTS = 8;

/**
 * Create of a Note (or Article, Page) that answers one of our stories or a comment we know →
 * a stored comment, from any server, follower or not. The object must be its actor's own: same
 * `attributedTo` as the activity's actor, and an id on the actor's origin (the activity itself is
 * signed by that actor, which Fedify checked). Replies to anything else are ignored (fetching
 * unknown parents of a thread comes later).
 */
export class CreateHandler {
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
    const place = await intake.placeFor(inReplyTo.href);
    if (place === null) return;

    const author = await object.getAttribution(ctx);
    if (author === null || !isActor(author) || author.id?.href !== actorId.href) {
      this.deps.log(`reply ${id.href} ignored: its author could not be read`);
      return;
    }
    const icon = await author.getIcon(ctx).catch(() => null);
    const recipients = [...object.toIds, ...object.ccIds].map((u) => u.href);
    const body = await replyBodyOf(ctx, object, create);
    const comment: InboundComment = {
      apId: id.href,
      url: hrefOf(object.url) ?? null,
      articleId: place.articleId,
      parentId: place.parentId,
      depth: place.depth,
      author: {
        actorId: actorId.href,
        handle: `@${author.preferredUsername?.toString() ?? '?'}@${actorId.host}`,
        name: author.name?.toString() ?? null,
        avatarUrl: hrefOf(icon?.url ?? null),
        profileUrl: hrefOf(author.url),
        host: actorId.host,
      },
      ...body,
      visibility: visibilityOf(object.toIds, recipients, author.followersId?.href ?? null),
    };
    await intake.receive(comment);
  }
}

/** A reply object as Fedify parsed it. */
export type ReplyObject = Note | Article | Page;

/** Whether `object` is a kind of object the bridge takes as a reply. */
export function isReplyObject(object: unknown): object is ReplyObject {
  return object instanceof Note || object instanceof Article || object instanceof Page;
}

/** What a reply says, as stored: the parts an edit can change. */
export async function replyBodyOf(
  ctx: InboxContext<void>,
  object: ReplyObject,
  activity: Create | Update,
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
    language:
      object.contents.find((c): c is LanguageString => c instanceof LanguageString)?.locale
        .baseName ?? null,
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

/** A reply's `published` (else its Create's, else now) and `updated`, as Dates. */
function timesOf(
  object: ReplyObject,
  activity: Create | Update,
): { published: Date; updated: Date | null } {
  const dateOf = (instant: { readonly epochMilliseconds: number } | null): Date | null =>
    instant === null ? null : new Date(instant.epochMilliseconds);
  /* eslint-disable @typescript-eslint/no-unsafe-argument -- Fedify's Temporal.Instant types
     resolve for tsc but not in the linter's program; the values are Temporal.Instants. */
  const published = dateOf(object.published) ?? dateOf(activity.published) ?? new Date();
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
        alt: item.name?.toString() ?? null,
      });
      if (out.length >= MAX_ATTACHMENTS) break;
    }
  } catch {
    // An attachment that cannot be read is left out; the reply is kept.
  }
  return out;
}
