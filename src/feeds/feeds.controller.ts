import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiQuery,
} from '@nestjs/swagger';
import type { JSONSchemaType } from 'ajv';
import { randomBytes } from 'node:crypto';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ActorsService } from '../actors/actors.service.js';
import { validator, validOrThrow } from '../common/validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { jsonSchema, ref } from '../openapi/schemas.js';
import type { Feed } from './feed.js';
import { FeedPoller, type PollSummary } from './feed-poller.js';
import { FeedRepository } from './feed.repository.js';

/** `POST /api/v1/feeds` body. */
interface NewFeedBody {
  url: string;
  /** Platform id of the publication the feed's stories belong to … */
  publicationId?: string;
  /** … or of the author (exactly one of the two). */
  authorId?: string;
  minIntervalSeconds?: number;
  maxIntervalSeconds?: number;
  /** How many stories older than the subscription the first poll federates. */
  backfill?: number;
}

const newFeedSchema: JSONSchemaType<NewFeedBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 },
    publicationId: { type: 'string', minLength: 1, maxLength: 255, nullable: true },
    authorId: { type: 'string', minLength: 1, maxLength: 255, nullable: true },
    minIntervalSeconds: { type: 'integer', minimum: 60, maximum: 604_800, nullable: true },
    maxIntervalSeconds: { type: 'integer', minimum: 60, maximum: 604_800, nullable: true },
    backfill: { type: 'integer', minimum: 0, maximum: 100, nullable: true },
  },
};
const validNewFeed = validator(newFeedSchema);

/** A feed as the API shows it. */
export interface FeedView {
  readonly id: string;
  readonly url: string;
  readonly registeredUrl: string;
  readonly owner: { readonly kind: string; readonly platformId: string; readonly handle: string };
  readonly status: string;
  readonly disabledReason: string | null;
  readonly title: string | null;
  readonly minIntervalSeconds: number;
  readonly maxIntervalSeconds: number;
  readonly intervalSeconds: number;
  readonly backfill: number;
  readonly nextPollAt: string;
  readonly lastPolledAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastStatus: number | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly items: number;
  readonly websub: {
    readonly state: string;
    readonly hub: string | null;
    readonly topic: string | null;
  };
  readonly createdAt: string;
}

const PAGE = 100;

const FEED_ID = {
  name: 'id',
  description: "The feed's id (anything else is 404).",
  schema: { type: 'string', format: 'uuid' },
} as const;
const NO_FEED = 'No such feed (`not_found`).';
/** How long a poll by hand keeps the tick off the feed, unless the poll sets another time. */
const POLL_LEASE_S = 300;

/**
 * RSS/Atom subscriptions (scope `ingest`): register, list, inspect (polling status, failures,
 * WebSub), poll now, remove. See docs/feeds.md.
 */
@Controller('api/v1/feeds')
@UseGuards(ApiAuthGuard)
@ApiTag('Feeds')
export class FeedsController {
  constructor(
    private readonly feeds: FeedRepository,
    private readonly actors: ActorsService,
    private readonly poller: FeedPoller,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Post()
  @ApiEndpoint({
    summary: 'Subscribe to a feed',
    description:
      "Registers an RSS/Atom feed whose items become the owner's stories: give exactly one of " +
      '`publicationId` and `authorId`. Polling starts at once; `backfill` says how many older ' +
      'items the first poll federates.',
    scopes: ['ingest'],
    errors: {
      400: { description: 'The body is not a feed subscription.', schema: 'ValidationError' },
      409: 'The URL is registered already (`feed_exists`, with its `id`).',
      422:
        'Not https (`invalid_url`), not exactly one owner (`owner_required`), an unknown owner ' +
        '(`unknown_owner`), or a minimum above the maximum (`invalid_bounds`).',
    },
  })
  @ApiBody({ schema: jsonSchema(newFeedSchema) })
  @ApiCreatedResponse({ description: 'Registered.', schema: ref('Feed') })
  async create(@Body() body: unknown): Promise<FeedView> {
    const input = validOrThrow(validNewFeed(body));
    const url = new URL(input.url);
    if (url.protocol !== 'https:' && !this.config.allowPrivateAddresses) {
      throw new UnprocessableEntityException({
        error: 'invalid_url',
        message: 'feed URLs must use https',
      });
    }
    url.hash = '';
    if ((input.publicationId == null) === (input.authorId == null)) {
      throw new UnprocessableEntityException({
        error: 'owner_required',
        message: 'give exactly one of publicationId and authorId',
      });
    }
    const owner =
      input.publicationId != null
        ? await this.actors.findByPlatformId('publication', input.publicationId)
        : await this.actors.findByPlatformId('author', input.authorId ?? '');
    if (owner === null) {
      throw new UnprocessableEntityException({
        error: 'unknown_owner',
        message: `no ${input.publicationId != null ? 'publication' : 'author'} ${input.publicationId ?? input.authorId ?? ''}: create it first (PUT /api/v1/…)`,
      });
    }
    const min = input.minIntervalSeconds ?? this.config.feeds.minIntervalS;
    const max = input.maxIntervalSeconds ?? Math.max(min, this.config.feeds.maxIntervalS);
    if (min > max) {
      throw new UnprocessableEntityException({
        error: 'invalid_bounds',
        message: `minIntervalSeconds (${min}) exceeds maxIntervalSeconds (${max})`,
      });
    }
    const feed = await this.feeds.insert({
      url: url.href,
      ownerId: owner.id,
      minIntervalS: min,
      maxIntervalS: max,
      backfill: input.backfill ?? this.config.feeds.backfill,
      websubToken: randomBytes(24).toString('base64url'),
    });
    if (feed === null) {
      const existing = await this.feeds.findByUrl(url.href);
      throw new ConflictException({
        error: 'feed_exists',
        message: `${url.href} is already registered`,
        ...(existing === null ? {} : { id: existing.id }),
      });
    }
    return this.view(feed);
  }

  @Get()
  @ApiEndpoint({
    summary: 'List feeds',
    description: `Feeds by id, ${PAGE} a page.`,
    scopes: ['ingest'],
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: '`next` of the previous page.',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiOkResponse({ description: 'A page of feeds.', schema: ref('FeedPage') })
  async list(@Query('after') after?: string): Promise<{ items: FeedView[]; next: string | null }> {
    const cursor = after !== undefined && /^[0-9a-f-]{36}$/i.test(after) ? after : null;
    const feeds = await this.feeds.list(PAGE, cursor);
    const items = await Promise.all(feeds.map((f) => this.view(f)));
    return { items, next: feeds.length === PAGE ? (feeds.at(-1)?.id ?? null) : null };
  }

  @Get(':id')
  @ApiEndpoint({
    summary: 'Read a feed',
    description: 'Its polling state, failures and WebSub subscription.',
    scopes: ['ingest'],
    errors: { 404: NO_FEED },
  })
  @ApiParam(FEED_ID)
  @ApiOkResponse({ description: 'The feed.', schema: ref('Feed') })
  async get(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
  ): Promise<FeedView> {
    return this.view(await this.find(id));
  }

  /** Polls now (and re-enables a disabled feed); answers with what the poll did. */
  @Post(':id/poll')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Poll a feed now',
    description: 'Polls at once (re-enabling a disabled feed) and answers with what the poll did.',
    scopes: ['ingest'],
    errors: { 404: NO_FEED },
  })
  @ApiParam(FEED_ID)
  @ApiOkResponse({ description: 'The poll and the feed after it.', schema: ref('FeedPoll') })
  async pollNow(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
  ): Promise<{ poll: PollSummary; feed: FeedView }> {
    await this.find(id);
    await this.feeds.claimNow(id, POLL_LEASE_S);
    const poll = await this.poller.poll(id);
    return { poll, feed: await this.view(await this.find(id)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiEndpoint({
    summary: 'Unsubscribe from a feed',
    description: 'Stories it brought stay.',
    scopes: ['ingest'],
    errors: { 404: NO_FEED },
  })
  @ApiParam(FEED_ID)
  @ApiNoContentResponse({ description: 'Removed.' })
  async remove(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
  ): Promise<void> {
    if (!(await this.feeds.delete(id))) throw notFound(id);
  }

  private async find(id: string): Promise<Feed> {
    const feed = await this.feeds.findById(id);
    if (feed === null) throw notFound(id);
    return feed;
  }

  private async view(feed: Feed): Promise<FeedView> {
    const owner = await this.actors.findById(feed.ownerId);
    return {
      id: feed.id,
      url: feed.url,
      registeredUrl: feed.registeredUrl,
      owner: {
        kind: owner?.kind ?? 'unknown',
        platformId: owner?.platformId ?? '',
        handle: owner?.handle ?? '',
      },
      status: feed.status,
      disabledReason: feed.disabledReason,
      title: feed.title,
      minIntervalSeconds: feed.minIntervalS,
      maxIntervalSeconds: feed.maxIntervalS,
      intervalSeconds: feed.intervalS,
      backfill: feed.backfill,
      nextPollAt: feed.nextPollAt.toISOString(),
      lastPolledAt: feed.lastPolledAt?.toISOString() ?? null,
      lastSuccessAt: feed.lastSuccessAt?.toISOString() ?? null,
      lastStatus: feed.lastStatus,
      consecutiveFailures: feed.consecutiveFailures,
      lastError: feed.lastError,
      items: await this.feeds.itemCount(feed.id),
      websub: { state: feed.websubState, hub: feed.websubHub, topic: feed.websubTopic },
      createdAt: feed.createdAt.toISOString(),
    };
  }
}

function notFound(id: string): NotFoundException {
  return new NotFoundException({ error: 'not_found', message: `no feed ${id}` });
}
