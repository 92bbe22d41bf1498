import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiAuthGuard, RequireScopes } from '../auth/api-auth.guard.js';
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
export class ReportsController {
  constructor(private readonly comments: CommentRepository) {}

  @Get()
  @RequireScopes('comments:write')
  async list(): Promise<{ reports: ModerationReport[] }> {
    return { reports: await this.comments.reports(LIMIT) };
  }
}
