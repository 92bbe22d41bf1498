import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Param,
  ParseUUIDPipe,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { actorUrl } from '../actors/actor-urls.js';
import { CommentRepository } from '../comments/comment.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { wantsActivityJson } from './article.controller.js';
import { articleUrl, contextUrl, followersUrl } from './article-urls.js';
import { renderAnswer } from './render-answer.js';

const AP_CONTENT_TYPE = 'application/activity+json; charset=utf-8';

/**
 * `/comments/{id}`, the ActivityPub id of an answer an author wrote on the platform: the Note for
 * ActivityPub clients (servers fetch it to show the thread), else a redirect to the story. Only
 * answers written here are served; a removed one is 410.
 */
@Controller('comments')
export class AnswerController {
  constructor(
    private readonly comments: CommentRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':id')
  async get(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    res.vary('Accept');
    const answer = await this.comments.findById(id);
    if (answer === null || answer.localAuthorId === null || answer.parentId === null) {
      res.status(404).json({ error: 'not_found', message: 'no such comment' });
      return;
    }
    if (answer.status === 'removed' || answer.status === 'rejected') {
      res.status(410).json({ error: 'gone', message: 'this comment was removed' });
      return;
    }
    if (!wantsActivityJson(req.get('accept'))) {
      res.redirect(302, articleUrl(this.config.publicUrl, answer.articleId).href);
      return;
    }
    const parent = await this.comments.findById(answer.parentId);
    if (parent === null) {
      res.status(404).json({ error: 'not_found', message: 'no such comment' });
      return;
    }
    const publicUrl = this.config.publicUrl;
    const note = renderAnswer({
      answer,
      parent,
      authorUri: actorUrl(publicUrl, answer.localAuthorId).href,
      followersUri: followersUrl(publicUrl, answer.localAuthorId).href,
      contextUri: contextUrl(publicUrl, answer.articleId).href,
    });
    res.status(200).type(AP_CONTENT_TYPE).send(JSON.stringify(note));
  }
}
