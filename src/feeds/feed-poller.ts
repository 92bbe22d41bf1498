import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Actor } from '../actors/actor.js';
import { ActorsService } from '../actors/actors.service.js';
import { EVENT_SINK, type EventSink, type IngestSource } from '../ingestion/ingest.js';
import { SafeFetchError } from '../net/error.js';
import type { SafeFetch } from '../net/safe-fetch.js';
import type { Feed } from './feed.js';
import { firstPollSelection, itemCommand, itemPlatformId } from './feed-items.js';
import { FeedRepository, type ItemRecord } from './feed.repository.js';
import { FEED_FETCH } from './feeds.tokens.js';
import { FeedParseError, type FeedItem, type ParsedFeed, parseFeed } from './parse/index.js';
import { backoffInterval, cadenceInterval, nextPollAt } from './poll-schedule.js';
import { WebSubSubscriber } from './websub-subscriber.js';

/** What one poll (or push) did. */
export interface PollSummary {
  readonly feedId: string;
  /** `not-modified` for 304, `failed`/`disabled` with `error`. */
  readonly result: 'fetched' | 'not-modified' | 'failed' | 'disabled' | 'skipped';
  readonly error?: string;
  readonly created: number;
  readonly updated: number;
  /** Items recorded without federating (older than the subscription). */
  readonly recorded: number;
  /** Items without a guid or link, or whose event was refused. */
  readonly skipped: number;
}

const ACCEPT =
  'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1';

/**
 * Polls one feed: a conditional GET through the SSRF-safe fetch (5 MiB, timeouts), parsing, and
 * one ingest command per new or changed item; then the next poll time from the feed's cadence, or
 * an exponential backoff after failures. A 301/308 chain updates the stored URL; 410 disables the
 * feed.
 */
@Injectable()
export class FeedPoller {
  private readonly logger = new Logger(FeedPoller.name);

  constructor(
    private readonly feeds: FeedRepository,
    private readonly actors: ActorsService,
    private readonly websub: WebSubSubscriber,
    @Inject(EVENT_SINK) private readonly sink: EventSink,
    @Inject(FEED_FETCH) private readonly fetcher: SafeFetch,
  ) {}

  async poll(feedId: string): Promise<PollSummary> {
    const feed = await this.feeds.findById(feedId);
    if (feed === null || feed.status === 'disabled') return empty(feedId, 'skipped');
    const owner = await this.actors.findById(feed.ownerId);
    if (owner === null) return empty(feedId, 'skipped');

    const redirects: { to: string | null; permanent: boolean } = { to: null, permanent: true };
    let response: Response;
    try {
      response = await this.fetcher.fetch(feed.url, {
        headers: {
          accept: ACCEPT,
          ...(feed.etag === null ? {} : { 'if-none-match': feed.etag }),
          ...(feed.lastModified === null ? {} : { 'if-modified-since': feed.lastModified }),
        },
        onRedirect: (hop) => {
          redirects.permanent &&= hop.status === 301 || hop.status === 308;
          redirects.to = hop.to.href;
        },
      });
    } catch (error) {
      const reason =
        error instanceof SafeFetchError ? `${error.reason}: ${error.message}` : String(error);
      return this.fail(feed, null, reason);
    }
    const url = redirects.permanent && redirects.to !== null ? redirects.to : feed.url;
    if (url !== feed.url)
      this.logger.log(`feed ${feed.id} moved permanently: ${feed.url} → ${url}`);

    if (response.status === 304) {
      await this.succeed(feed, { url, status: 304, parsed: null, response });
      return empty(feed.id, 'not-modified');
    }
    if (response.status === 410) {
      await this.feeds.recordPoll(feed.id, {
        ...this.carry(feed, url),
        status: 'disabled',
        disabledReason: 'the feed answered 410 Gone',
        lastStatus: 410,
        lastError: 'HTTP 410 Gone',
        success: false,
      });
      this.logger.warn(`feed ${feed.id} disabled: ${feed.url} answered 410 Gone`);
      return { ...empty(feed.id, 'disabled'), error: 'HTTP 410' };
    }
    if (!response.ok) return this.fail(feed, response.status, `HTTP ${response.status}`, url);

    let parsed: ParsedFeed;
    try {
      parsed = await parseFeed(await response.text(), { baseUrl: response.url || url });
    } catch (error) {
      if (error instanceof FeedParseError) {
        return this.fail(feed, response.status, `unreadable feed: ${error.message}`, url);
      }
      throw error;
    }
    const counts = await this.ingest(feed, owner, parsed, 'feed');
    await this.succeed(feed, { url, status: response.status, parsed, response });
    await this.websub.maintain(feed, parsed, url);
    return { feedId: feed.id, result: 'fetched', ...counts };
  }

  /**
   * Hands a feed document's new and changed items to ingestion and records them. On the first
   * poll, items older than the subscription are only recorded (except the newest `backfill`).
   */
  async ingest(
    feed: Feed,
    owner: Actor,
    parsed: ParsedFeed,
    source: IngestSource,
  ): Promise<Omit<PollSummary, 'feedId' | 'result'>> {
    const items = uniqueKeyed(parsed.items);
    let skipped = parsed.items.length - items.length;
    const seen = await this.feeds.seenItems(
      feed.id,
      items.map((i) => i.key),
    );
    const firstPoll = !feed.baselined;
    const selection = firstPoll ? firstPollSelection(items, feed.createdAt, feed.backfill) : null;
    const now = new Date();
    const records: ItemRecord[] = [];
    let created = 0;
    let updated = 0;
    let recorded = 0;
    // Oldest first, so stories reach timelines in the order they were written.
    const ordered = [...items].sort(
      (a, b) => (a.publishedAt?.getTime() ?? 0) - (b.publishedAt?.getTime() ?? 0),
    );
    for (const item of ordered) {
      const prev = seen.get(item.key);
      if (prev !== undefined && prev.contentHash === item.contentHash) continue;
      const federate = prev !== undefined ? prev.federated : (selection?.has(item.key) ?? true);
      const record: ItemRecord = {
        itemKey: item.key,
        contentHash: item.contentHash,
        articlePlatformId: prev?.articlePlatformId ?? itemPlatformId(feed.id, item.key),
        federated: federate,
        publishedAt: item.publishedAt,
      };
      if (!federate) {
        recorded++;
        records.push(record);
        continue;
      }
      const command = itemCommand(feed, owner, item, {
        feedTitle: parsed.title,
        feedLanguage: parsed.language,
        source,
        now,
        previousHash: prev?.contentHash ?? null,
      });
      if (command === null) {
        skipped++;
        continue;
      }
      const outcome = await this.sink.apply(command, { origin: `feed:${feed.id}` });
      if (outcome.outcome === 'rejected') skipped++;
      else if (outcome.change === 'create') created++;
      else if (outcome.change === 'update') updated++;
      records.push(record);
    }
    await this.feeds.recordItems(feed.id, records);
    if (created + updated + recorded + skipped > 0) {
      this.logger.log(
        `feed ${feed.id} (${source}): ${created} new, ${updated} updated, ${recorded} recorded only, ${skipped} skipped`,
      );
    }
    return { created, updated, recorded, skipped };
  }

  private async succeed(
    feed: Feed,
    done: { url: string; status: number; parsed: ParsedFeed | null; response: Response },
  ): Promise<void> {
    const bounds = { minIntervalS: feed.minIntervalS, maxIntervalS: feed.maxIntervalS };
    let intervalS =
      done.parsed === null
        ? feed.intervalS
        : cadenceInterval(
            done.parsed.items.map((i) => i.publishedAt),
            bounds,
          );
    // With a live WebSub subscription, polling is only the fallback.
    if (feed.websubState === 'active') intervalS = feed.maxIntervalS;
    await this.feeds.recordPoll(feed.id, {
      ...this.carry(feed, done.url),
      status: 'active',
      title: done.parsed?.title ?? null,
      etag: done.response.headers.get('etag') ?? (done.status === 304 ? feed.etag : null),
      lastModified:
        done.response.headers.get('last-modified') ??
        (done.status === 304 ? feed.lastModified : null),
      baselined: feed.baselined || done.parsed !== null,
      intervalS,
      nextPollAt: nextPollAt(new Date(), intervalS),
      lastStatus: done.status,
      consecutiveFailures: 0,
      lastError: null,
      success: true,
    });
  }

  private async fail(
    feed: Feed,
    status: number | null,
    error: string,
    url = feed.url,
  ): Promise<PollSummary> {
    const failures = feed.consecutiveFailures + 1;
    const intervalS = backoffInterval(failures, feed);
    await this.feeds.recordPoll(feed.id, {
      ...this.carry(feed, url),
      status: 'failing',
      intervalS,
      nextPollAt: nextPollAt(new Date(), intervalS),
      lastStatus: status,
      consecutiveFailures: failures,
      lastError: error.slice(0, 1000),
      success: false,
    });
    this.logger.warn(
      `feed ${feed.id} poll failed (${failures} in a row): ${error}; next in ${intervalS} s`,
    );
    return { ...empty(feed.id, 'failed'), error };
  }

  /** The fields a poll record keeps from the stored feed unless it changes them. */
  private carry(feed: Feed, url: string) {
    return {
      url,
      status: feed.status,
      disabledReason: null,
      title: null,
      etag: feed.etag,
      lastModified: feed.lastModified,
      baselined: feed.baselined,
      intervalS: feed.intervalS,
      nextPollAt: feed.nextPollAt,
      lastStatus: null,
      consecutiveFailures: feed.consecutiveFailures,
      lastError: feed.lastError,
      success: false,
    };
  }
}

function empty(feedId: string, result: PollSummary['result']): PollSummary {
  return { feedId, result, created: 0, updated: 0, recorded: 0, skipped: 0 };
}

/** Items that have a key, the first of each key. */
function uniqueKeyed(items: readonly FeedItem[]): (FeedItem & { key: string })[] {
  const seen = new Set<string>();
  const out: (FeedItem & { key: string })[] = [];
  for (const item of items) {
    if (item.key === null || seen.has(item.key)) continue;
    seen.add(item.key);
    out.push({ ...item, key: item.key });
  }
  return out;
}
