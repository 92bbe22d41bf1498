import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiAuthGuard, RequireScopes } from '../../auth/api-auth.guard.js';
import { CommentEventsRepository, type FailedWebhook } from './comment-events.repository.js';

/** Failed deliveries listed. */
const LIMIT = 100;

/**
 * `GET /api/v1/webhooks/failed` (scope `admin`): the newest comment-event webhooks that failed for
 * good — the event, the URL, the attempts, and the last status and error.
 */
@Controller('api/v1/webhooks')
@UseGuards(ApiAuthGuard)
export class WebhooksController {
  constructor(private readonly events: CommentEventsRepository) {}

  @Get('failed')
  @RequireScopes('admin')
  async failed(): Promise<{ failed: FailedWebhook[] }> {
    return { failed: await this.events.failedWebhooks(LIMIT) };
  }
}
