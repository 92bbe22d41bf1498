import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { eventBodySchema, ref } from '../openapi/schemas.js';
import type { IngestOutcome } from './ingest.js';
import { IngestRepository, type LoggedLine } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';

/** What `POST /api/v1/events` answers with 202. */
export interface AcceptedEvent {
  readonly eventId: string;
  readonly outcome: IngestOutcome['outcome'];
  readonly reason?: string;
  readonly change?: string;
  readonly articleId?: string;
}

/**
 * HTTP ingestion (scope `ingest`): the same event contract as Kafka (docs/events.md).
 *
 * - 202: stored (or recognised as a duplicate, or ignored as older than what is stored); the body
 *   says which.
 * - 400: not a valid event; `problems` lists every violation with a JSON pointer.
 * - 422: valid, but impossible (e.g. a custom domain that belongs to another publication).
 */
@Controller('api/v1/events')
@UseGuards(ApiAuthGuard)
@ApiTag('Events')
export class EventsController {
  constructor(
    private readonly ingest: IngestService,
    private readonly log: IngestRepository,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiEndpoint({
    summary: 'Send an article event',
    description:
      'One event of the contract in docs/events.md (`article.published`, `article.updated`, ' +
      '`article.deleted`), or a `comment.reply`; up to 8 MiB. Every event leaves a line in the ' +
      'ingest log. Retrying after a timeout or a 5xx is safe: the `eventId` makes a repeat a no-op.',
    scopes: ['ingest'],
    errors: {
      400: {
        description:
          'Not an event of the schema (`invalid_event`, with a pointer per problem), or not JSON.',
        schema: 'ValidationError',
      },
      422:
        'Valid but impossible: e.g. a custom domain another publication holds ' +
        '(`custom_domain_taken`), or a reply to a comment that cannot be answered.',
      503: 'The database is unavailable: send the same event again later.',
    },
  })
  @ApiBody({ schema: eventBodySchema() })
  @ApiAcceptedResponse({
    description:
      'Stored, or recognised: `outcome` is `applied`, `unchanged`, `stale` or `duplicate`.',
    schema: ref('AcceptedEvent'),
  })
  async post(@Body() body: unknown): Promise<AcceptedEvent> {
    const result = await this.ingest.ingestEvent(body, 'http');
    if (result.outcome === 'rejected') {
      if (result.reason === 'invalid_event') {
        throw new BadRequestException({
          error: 'invalid_event',
          message: result.message ?? 'invalid event',
          problems: result.problems ?? [],
        });
      }
      throw new UnprocessableEntityException({
        error: result.reason ?? 'rejected',
        message: result.message ?? 'event refused',
      });
    }
    return {
      eventId: result.eventId ?? '',
      outcome: result.outcome,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
      ...(result.change === undefined ? {} : { change: result.change }),
      ...(result.articleId === undefined ? {} : { articleId: result.articleId }),
    };
  }

  /** The ingest log lines of one event, oldest first: what arrived, from where, what became of it. */
  @Get(':eventId')
  @ApiEndpoint({
    summary: "An event's ingest log",
    description: 'Every time the event arrived, oldest first: from where, and what became of it.',
    scopes: ['ingest'],
    errors: {
      400: 'The event id is not a UUID.',
      404: 'The event never arrived (`not_found`).',
    },
  })
  @ApiParam({ name: 'eventId', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ description: 'The log lines.', schema: ref('EventLog') })
  async get(
    @Param('eventId', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST }))
    eventId: string,
  ): Promise<{ eventId: string; log: ReturnType<typeof viewLine>[] }> {
    const lines = await this.log.linesOf(eventId.toLowerCase());
    if (lines.length === 0) {
      throw new NotFoundException({ error: 'not_found', message: `no event ${eventId}` });
    }
    return { eventId: eventId.toLowerCase(), log: lines.map(viewLine) };
  }
}

function viewLine(line: LoggedLine) {
  return {
    receivedAt: line.receivedAt.toISOString(),
    source: line.source,
    origin: line.origin,
    type: line.eventType,
    articleId: line.articlePlatformId,
    outcome: line.outcome,
    reason: line.reason ?? null,
    message: line.message ?? null,
    ...(line.problems == null ? {} : { problems: line.problems }),
  };
}
