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
import { ApiAuthGuard, RequireScopes } from '../auth/api-auth.guard.js';
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
export class EventsController {
  constructor(
    private readonly ingest: IngestService,
    private readonly log: IngestRepository,
  ) {}

  @Post()
  @HttpCode(202)
  @RequireScopes('ingest')
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
  @RequireScopes('ingest')
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
