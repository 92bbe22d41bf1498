import { Controller, Get, HttpCode, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ActorsService } from '../actors/actors.service.js';
import { FeedPoller } from './feed-poller.js';
import { FeedRepository } from './feed.repository.js';
import { FeedParseError, parseFeed } from './parse/index.js';
import { WebSubSubscriber } from './websub-subscriber.js';
import {
  INTENT_RESPONSE_HEADERS,
  SIGNATURE_HEADER,
  type CallbackQuery,
  verifyIntent,
  verifySignature,
} from './websub/websub.js';

/**
 * WebSub callbacks, `/websub/{token}` (the token is the feed's unguessable callback id):
 * GET answers the hub's intent verification; POST takes pushed feed content, signed with the
 * subscription's secret. Unsigned or mis-signed pushes are dropped (and logged) but answered 202,
 * as the WebSub recommendation asks, so a hub does not retry forged content.
 */
@Controller('websub')
export class WebSubController {
  private readonly logger = new Logger(WebSubController.name);

  constructor(
    private readonly feeds: FeedRepository,
    private readonly actors: ActorsService,
    private readonly subscriber: WebSubSubscriber,
    private readonly poller: FeedPoller,
  ) {}

  @Get(':token')
  async verify(
    @Param('token') token: string,
    @Query() query: CallbackQuery,
    @Res() res: Response,
  ): Promise<void> {
    const feed = await this.feeds.findByWebSubToken(token);
    const expected =
      feed?.websubTopic == null ? null : { topicUrl: feed.websubTopic, mode: 'subscribe' as const };
    const verdict = verifyIntent(query, expected);
    await this.subscriber.verify(feed, query, verdict);
    res.set(INTENT_RESPONSE_HEADERS);
    if (verdict.ok) {
      res.status(200).send(verdict.challenge);
    } else {
      res.status(verdict.status).send(verdict.reason);
    }
  }

  @Post(':token')
  @HttpCode(202)
  async push(@Param('token') token: string, @Req() req: Request): Promise<string> {
    const feed = await this.feeds.findByWebSubToken(token);
    if (feed === null || feed.websubSecret === null || feed.status === 'disabled') {
      this.logger.warn(`WebSub push to an unknown or inactive callback dropped`);
      return '';
    }
    const body: unknown = req.body;
    const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    const signature = verifySignature(req.get(SIGNATURE_HEADER), bytes, feed.websubSecret);
    if (!signature.ok) {
      this.logger.warn(`feed ${feed.id}: WebSub push dropped, signature ${signature.reason}`);
      return '';
    }
    const owner = await this.actors.findById(feed.ownerId);
    if (owner === null) return '';
    try {
      const parsed = await parseFeed(bytes.toString('utf8'), { baseUrl: feed.url });
      await this.poller.ingest(feed, owner, parsed, 'websub');
    } catch (error) {
      if (!(error instanceof FeedParseError)) throw error;
      this.logger.warn(`feed ${feed.id}: WebSub push unreadable: ${error.message}`);
    }
    return '';
  }
}
