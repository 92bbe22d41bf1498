import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiAuthGuard } from '../../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../../openapi/api-endpoint.js';
import { ref } from '../../openapi/schemas.js';
import { CommentEventsRepository, type FailedWebhook } from './comment-events.repository.js';

/** Failed deliveries listed. */
const LIMIT = 100;

/**
 * `GET /api/v1/webhooks/failed` (scope `admin`): the newest comment-event webhooks that failed for
 * good — the event, the URL, the attempts, and the last status and error.
 */
@Controller('api/v1/webhooks')
@UseGuards(ApiAuthGuard)
@ApiTag('Webhooks')
export class WebhooksController {
  constructor(private readonly events: CommentEventsRepository) {}

  @Get('failed')
  @ApiEndpoint({
    summary: 'Comment-event webhooks that failed for good',
    description: `The newest ${LIMIT}: event, URL, attempts, last status and error.`,
    scopes: ['admin'],
  })
  @ApiOkResponse({ description: 'The failed deliveries.', schema: ref('FailedWebhookList') })
  async failed(): Promise<{ failed: FailedWebhook[] }> {
    return { failed: await this.events.failedWebhooks(LIMIT) };
  }
}
