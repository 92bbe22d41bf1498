import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { ApiAuthGuard, RequireScopes } from '../auth/api-auth.guard.js';
import { type CommentView, viewOf } from './comment-view.js';
import { AnswerRefused, MAX_ANSWER_CHARS, ReplyBack } from './reply-back.js';

/** Longest platform id of an answer. */
const MAX_PLATFORM_ID = 255;

/**
 * `POST /api/v1/comments/{commentId}/replies` (scope `comments:write`) with
 * `{ "authorId": "<author's platform id>", "contentHtml": "…", "replyId"?: "<platform id>" }`:
 * the author answers the comment. 201 with the stored answer (202-like: it is sent to the
 * fediverse by a worker); 200 with the same answer when `replyId` was seen already.
 */
@Controller('api/v1/comments')
@UseGuards(ApiAuthGuard)
export class ReplyBackController {
  constructor(private readonly replyBack: ReplyBack) {}

  @Post(':id/replies')
  @RequireScopes('comments:write')
  async reply(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ comment: CommentView }> {
    const request = answerBody(body);
    try {
      const { comment, created } = await this.replyBack.answer({ commentId: id, ...request });
      res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
      return { comment: viewOf(comment) };
    } catch (error) {
      if (!(error instanceof AnswerRefused)) throw error;
      const payload = { error: error.reason, message: error.message };
      if (error.status === 404) throw new NotFoundException(payload);
      if (error.status === 409) throw new ConflictException(payload);
      throw new BadRequestException(payload);
    }
  }
}

/** The request body, checked: every problem is a 400 naming the field. */
export function answerBody(body: unknown): {
  authorId: string;
  contentHtml: string;
  platformId: string | null;
} {
  const fail = (message: string): never => {
    throw new BadRequestException({ error: 'invalid_body', message });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('the body must be a JSON object');
  }
  const { authorId, contentHtml, replyId } = body as Record<string, unknown>;
  if (typeof authorId !== 'string' || authorId === '' || authorId.length > MAX_PLATFORM_ID) {
    fail(`authorId must be a non-empty string of at most ${MAX_PLATFORM_ID} characters`);
  }
  if (typeof contentHtml !== 'string' || contentHtml.trim() === '') {
    fail('contentHtml must be a non-empty string');
  }
  if ((contentHtml as string).length > MAX_ANSWER_CHARS) {
    fail(`contentHtml must be at most ${MAX_ANSWER_CHARS} characters`);
  }
  if (
    replyId !== undefined &&
    (typeof replyId !== 'string' || replyId === '' || replyId.length > MAX_PLATFORM_ID)
  ) {
    fail(`replyId must be a non-empty string of at most ${MAX_PLATFORM_ID} characters`);
  }
  return {
    authorId: authorId as string,
    contentHtml: contentHtml as string,
    platformId: (replyId as string | undefined) ?? null,
  };
}
