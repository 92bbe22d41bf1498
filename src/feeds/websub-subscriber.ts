import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import type { SafeFetch } from '../net/safe-fetch.js';
import type { Feed } from './feed.js';
import { FeedRepository } from './feed.repository.js';
import { FEED_FETCH } from './feeds.tokens.js';
import type { ParsedFeed } from './parse/index.js';
import {
  buildSubscribeRequest,
  generateSecret,
  interpretHubResponse,
  renewAt,
  type CallbackQuery,
  type IntentVerdict,
} from './websub/websub.js';

/** Lease asked of hubs (they may grant another). */
const LEASE_SECONDS = 7 * 24 * 3600;

/** The callback URL of a feed's WebSub subscription. */
export function callbackUrl(publicUrl: URL, token: string): string {
  return new URL(`/websub/${token}`, publicUrl).href;
}

/**
 * WebSub for feeds that advertise a hub: subscribes (and renews before the lease ends) after a
 * poll, and answers the hub's intent verification. Polling continues as the fallback.
 */
@Injectable()
export class WebSubSubscriber {
  private readonly logger = new Logger(WebSubSubscriber.name);

  constructor(
    private readonly feeds: FeedRepository,
    @Inject(FEED_FETCH) private readonly fetcher: SafeFetch,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * After a successful poll: subscribes when the feed names a hub and there is no live
   * subscription to it (or the lease is due for renewal). Failures are logged, never thrown:
   * polling goes on regardless.
   */
  async maintain(feed: Feed, parsed: ParsedFeed, fetchedUrl: string): Promise<void> {
    if (parsed.hubUrl === null) return;
    const topic = parsed.selfUrl ?? fetchedUrl;
    const live =
      feed.websubHub === parsed.hubUrl &&
      feed.websubTopic === topic &&
      (feed.websubState === 'pending' ||
        (feed.websubState === 'active' &&
          feed.websubExpiresAt !== null &&
          feed.websubExpiresAt > new Date()));
    if (live || feed.websubState === 'denied') return;
    const secret = generateSecret();
    try {
      const request = buildSubscribeRequest({
        hubUrl: parsed.hubUrl,
        topicUrl: topic,
        callbackUrl: callbackUrl(this.config.publicUrl, feed.websubToken),
        secret,
        leaseSeconds: LEASE_SECONDS,
        mode: 'subscribe',
      });
      // Recorded first: the hub may verify before its 202 reaches us.
      await this.feeds.recordWebSub(feed.id, {
        hub: parsed.hubUrl,
        topic,
        state: 'pending',
        secret,
        expiresAt: null,
      });
      const response = await this.fetcher.fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      const verdict = interpretHubResponse(response.status);
      if (!verdict.ok) {
        await this.feeds.recordWebSub(feed.id, {
          hub: parsed.hubUrl,
          topic,
          state: 'none',
          secret: null,
          expiresAt: null,
        });
        this.logger.warn(`feed ${feed.id}: hub ${parsed.hubUrl} refused: ${verdict.reason}`);
        return;
      }
      this.logger.log(`feed ${feed.id}: subscribing at hub ${parsed.hubUrl} (topic ${topic})`);
    } catch (error) {
      this.logger.warn(`feed ${feed.id}: WebSub subscription failed: ${String(error)}`);
    }
  }

  /**
   * The hub's intent verification (GET on the callback): confirms a pending subscription and
   * records its lease, or records a denial.
   */
  async verify(feed: Feed | null, query: CallbackQuery, verdict: IntentVerdict): Promise<void> {
    if (feed === null) return;
    if (verdict.ok) {
      const expiresAt =
        verdict.leaseSeconds === null ? null : renewAt(verdict.leaseSeconds, new Date());
      await this.feeds.recordWebSub(feed.id, {
        hub: feed.websubHub,
        topic: feed.websubTopic,
        state: 'active',
        secret: feed.websubSecret,
        expiresAt,
      });
      this.logger.log(`feed ${feed.id}: WebSub subscription confirmed`);
    } else if (verdict.denied) {
      await this.feeds.recordWebSub(feed.id, {
        hub: feed.websubHub,
        topic: feed.websubTopic,
        state: 'denied',
        secret: null,
        expiresAt: null,
      });
      const reason = typeof query['hub.reason'] === 'string' ? query['hub.reason'] : '';
      this.logger.warn(`feed ${feed.id}: hub denied the subscription ${reason}`);
    }
  }
}
