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
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { type CommentView, viewOf } from './comment-view.js';
import { AnswerRefused, type AnswerRequest, checkAnswer, ReplyBack } from './reply-back.js';

/**
 * `POST /api/v1/comments/{commentId}/replies` (scope `comments:write`) with
 * `{ "authorId": "<author's platform id>", "contentHtml": "…", "replyId"?: "<platform id>" }`:
 * the author answers the comment. 201 with the stored answer (a worker sends it to the
 * fediverse); 200 with the same answer when `replyId` was seen already — send one to make retries
 * safe. 409 when the comment is not approved and public, or its story was deleted.
 */
@Controller('api/v1/comments')
@UseGuards(ApiAuthGuard)
@ApiTag('Comments')
export class ReplyBackController {
  constructor(private readonly replyBack: ReplyBack) {}

  @Post(':id/replies')
  @ApiEndpoint({
    summary: 'Answer a comment',
    description:
      'An author answers a fediverse comment: the answer is stored under it and a worker sends it ' +
      "as a `Create` from the author's actor. Send a `replyId` to make retries safe.",
    scopes: ['comments:write'],
    errors: {
      400: {
        description:
          'A bad body (`invalid_body`, with pointers), a comment id that is not a UUID, or ' +
          'content that is empty once sanitized.',
        schema: 'ValidationError',
      },
      404: 'No such comment or author.',
      409:
        'The comment is not approved (`comment_not_approved`) or not public ' +
        '(`comment_not_public`), its story was deleted, or the `replyId` answers another comment.',
    },
  })
  @ApiParam({
    name: 'id',
    description: 'The comment answered.',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiBody({ schema: ref('AnswerRequest') })
  @ApiCreatedResponse({ description: 'The stored answer.', schema: ref('Answer') })
  @ApiOkResponse({
    description: 'The same answer: its `replyId` was seen before.',
    schema: ref('Answer'),
  })
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
function answerBody(body: unknown): Omit<AnswerRequest, 'commentId'> {
  const checked = checkAnswer(body, '');
  if (!checked.ok) {
    throw new BadRequestException({
      error: 'invalid_body',
      message: checked.problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; '),
      problems: checked.problems,
    });
  }
  return checked.fields;
}
