import { Controller, Get, HttpStatus, Inject, Param, ParseUUIDPipe, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ArticleRepository } from '../articles/article.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { CommentRepository } from './comment.repository.js';

const AP_CONTENT_TYPE = 'application/activity+json; charset=utf-8';
/** Items listed per collection (the newest threads beyond it are reached through `context`). */
const LIMIT = 200;

/**
 * A story's `replies` (direct replies) and `context` (FEP-7888: the whole conversation), as
 * ActivityPub collections of reply ids, oldest first: approved public and unlisted comments only,
 * so rejected, removed and hidden ones drop out. Servers fetch each id from its own server.
 */
@Controller('articles')
export class RepliesController {
  constructor(
    private readonly articles: ArticleRepository,
    private readonly comments: CommentRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':id/replies')
  async replies(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
    @Res() res: Response,
  ): Promise<void> {
    await this.collection(id, 'replies', res);
  }

  @Get(':id/context')
  async context(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
    @Res() res: Response,
  ): Promise<void> {
    await this.collection(id, 'context', res);
  }

  private async collection(
    articleId: string,
    kind: 'replies' | 'context',
    res: Response,
  ): Promise<void> {
    const article = await this.articles.findById(articleId);
    if (article === null || article.deletedAt !== null) {
      res.status(article === null ? 404 : 410).json({
        error: article === null ? 'not_found' : 'gone',
        message: article === null ? 'no such story' : 'this story was deleted',
      });
      return;
    }
    const shown = await this.comments.shownIds(articleId, kind === 'replies', LIMIT);
    const base = new URL(`/articles/${articleId}`, this.config.publicUrl).href;
    const id = `${base}/${kind}`;
    res
      .status(200)
      .type(AP_CONTENT_TYPE)
      .send(
        JSON.stringify({
          '@context': 'https://www.w3.org/ns/activitystreams',
          id,
          type: 'OrderedCollection',
          // The conversation includes the story itself, first.
          totalItems: kind === 'context' ? shown.total + 1 : shown.total,
          first: {
            type: 'OrderedCollectionPage',
            partOf: id,
            orderedItems: kind === 'context' ? [base, ...shown.ids] : shown.ids,
          },
        }),
      );
  }
}
