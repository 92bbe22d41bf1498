import { createHash } from 'node:crypto';
import type { Actor } from '../actors/actor.js';
import { normalizeHandle } from '../actors/handle.js';
import type { ArticleContent } from '../articles/article.js';
import type {
  AuthorRef,
  IngestCommand,
  IngestSource,
  PublicationRef,
} from '../ingestion/ingest.js';
import type { Feed } from './feed.js';
import type { FeedItem } from './parse/index.js';

/**
 * A UUID (version 5 layout) derived from the feed, the item, the content hash last recorded for it
 * and the new one: re-polling the same change (after a crash, before the item was recorded) yields
 * the same event id, which ingestion then ignores, while an edit that is later reverted (A → B →
 * A) is a new change each time.
 */
export function feedEventId(
  feedId: string,
  itemKey: string,
  previousHash: string | null,
  contentHash: string,
): string {
  const h = createHash('sha256')
    .update(`${feedId}\n${itemKey}\n${previousHash ?? ''}\n${contentHash}`)
    .digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The story id of a feed item: its key when that is an absolute URL (a guid such as
 * `https://medium.com/p/abc` is the same story in every feed that lists it), else the key scoped to
 * the feed.
 */
export function itemPlatformId(feedId: string, itemKey: string): string {
  return /^https?:\/\//i.test(itemKey) ? itemKey : `feed:${feedId}:${itemKey}`;
}

/**
 * Which items of a feed's first poll are federated: those published after the subscription, plus
 * the newest `backfill` of the older ones. The rest are only recorded.
 */
export function firstPollSelection(
  items: readonly FeedItem[],
  subscribedAt: Date,
  backfill: number,
): Set<string> {
  const selected = new Set<string>();
  const older: FeedItem[] = [];
  for (const item of items) {
    if (item.key === null) continue;
    if (item.publishedAt !== null && item.publishedAt > subscribedAt) selected.add(item.key);
    else older.push(item);
  }
  older
    .sort((a, b) => (b.publishedAt?.getTime() ?? 0) - (a.publishedAt?.getTime() ?? 0))
    .slice(0, backfill)
    .forEach((item) => {
      if (item.key !== null) selected.add(item.key);
    });
  return selected;
}

/**
 * The authors of a feed item. An author's feed: that author. A publication's feed: one author per
 * `dc:creator`/`author` name, identified by the feed's host and the name (so two feeds' "Jane
 * Doe"s stay two people; handles get suffixes when names collide), or — with no name — one
 * "editors" author per feed.
 */
export function itemAuthors(
  feed: Feed,
  owner: Actor,
  item: FeedItem,
  feedTitle: string | null,
): AuthorRef[] {
  if (owner.kind === 'author') return [{ platformId: owner.platformId }];
  const host = new URL(feed.registeredUrl).host;
  const names = item.authors.filter((n) => normalizeHandle(n) !== '');
  if (names.length === 0) {
    return [
      {
        platformId: `feed:${feed.id}:editors`,
        profile: {
          username: `${owner.platformHandle}-editors`,
          displayName: `${feedTitle ?? owner.name} editors`,
        },
      },
    ];
  }
  return names.map((written) => {
    // Display names longer than this are not names; keep actor columns within their limits.
    const name = written.slice(0, 100);
    return { platformId: feedAuthorId(host, name), profile: { username: name, displayName: name } };
  });
}

/** Longest actor platform id (`actors.platform_id`). */
const MAX_PLATFORM_ID_LENGTH = 255;

/**
 * The platform id of a feed author: the feed's host and the name as written — not its handle, so
 * that two names that normalize alike ("Jane Doe", "Jane Doé") stay two people with two handles.
 * A digest stands in when host and name are too long to fit.
 */
function feedAuthorId(host: string, name: string): string {
  const id = `feed:${host}:${name}`;
  if (id.length <= MAX_PLATFORM_ID_LENGTH) return id;
  return `feed:sha256:${createHash('sha256').update(`${host}\n${name}`).digest('hex')}`;
}

/** The ingest command for a new or changed feed item. */
export function itemCommand(
  feed: Feed,
  owner: Actor,
  item: FeedItem & { key: string },
  context: {
    feedTitle: string | null;
    feedLanguage: string | null;
    source: IngestSource;
    now: Date;
    /** The item's content hash as last recorded; null for a new item. */
    previousHash: string | null;
  },
): IngestCommand | null {
  const url = item.link ?? (/^https?:\/\//i.test(item.key) ? item.key : null);
  if (url === null) return null;
  const publishedAt = item.publishedAt ?? context.now;
  const article: ArticleContent = {
    platformId: itemPlatformId(feed.id, item.key),
    url,
    title: item.title,
    subtitle: null,
    contentHtml: item.contentHtml,
    excerpt: item.excerpt,
    language: item.language ?? context.feedLanguage,
    tags: item.categories,
    coverImage: item.coverImage,
    publishedAt,
    updatedAt: item.updatedAt ?? publishedAt,
    visibility: item.visibility,
    contentWarning: null,
    commentsEnabled: true,
  };
  const publication: PublicationRef | null =
    owner.kind === 'publication' ? { platformId: owner.platformId } : null;
  return {
    kind: 'upsert',
    eventId: feedEventId(feed.id, item.key, context.previousHash, item.contentHash),
    eventType: 'feed.item',
    source: context.source,
    occurredAt: context.now,
    article,
    authors: itemAuthors(feed, owner, item, context.feedTitle),
    publication,
  };
}
