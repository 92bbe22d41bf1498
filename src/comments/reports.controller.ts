import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { CommentRepository, type ModerationReport } from './comment.repository.js';

/** Reports listed. */
const LIMIT = 100;

/**
 * `GET /api/v1/reports` (scope `comments:write`, the moderators'): the newest reports (`Flag`s)
 * other servers sent about our actors, stories and comments — who sent it, their text, and what
 * it names.
 */
@Controller('api/v1/reports')
@UseGuards(ApiAuthGuard)
@ApiTag('Moderation')
export class ReportsController {
  constructor(private readonly comments: CommentRepository) {}

  @Get()
  @ApiEndpoint({
    summary: 'Reports from other servers',
    description:
      `The newest ${LIMIT} reports (\`Flag\`s) about our actors, stories and comments: ` +
      'who sent each, their text, and what it names.',
    scopes: ['comments:write'],
  })
  @ApiOkResponse({ description: 'The reports, newest first.', schema: ref('ReportList') })
  async list(): Promise<{ reports: ModerationReport[] }> {
    return { reports: await this.comments.reports(LIMIT) };
  }
}
