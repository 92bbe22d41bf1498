import {
  Controller,
  Get,
  Inject,
  Param,
  ParseUUIDPipe,
  HttpStatus,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Actor } from '../actors/actor.js';
import { ActorsService } from '../actors/actors.service.js';
import { ArticleRepository } from '../articles/article.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { articleUrl } from './article-urls.js';
import { isoSeconds, renderArticle } from './render-article.js';

const AP_TYPES = ['application/activity+json', 'application/ld+json'];
const AP_CONTENT_TYPE = 'application/activity+json; charset=utf-8';

/** Whether the request prefers ActivityPub JSON (any AP media type in Accept). */
export function wantsActivityJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept
    .toLowerCase()
    .split(',')
    .some((part) => AP_TYPES.some((t) => part.trim().startsWith(t)));
}

/**
 * A story's ActivityPub id, `/articles/{id}`: ActivityPub clients get the Article (or, once
 * deleted, a Tombstone with 410); browsers are sent to the canonical URL on the platform.
 */
@Controller('articles')
export class ArticleController {
  constructor(
    private readonly articles: ArticleRepository,
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':id')
  async get(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const article = await this.articles.findById(id);
    const asJson = wantsActivityJson(req.get('accept'));
    res.vary('Accept');
    if (article === null) {
      res.status(404).json({ error: 'not_found', message: 'no such story' });
      return;
    }
    if (article.deletedAt !== null) {
      if (!asJson) {
        res.status(410).type('text/plain').send('This story was deleted.');
        return;
      }
      res
        .status(410)
        .type(AP_CONTENT_TYPE)
        .send(
          JSON.stringify({
            '@context': 'https://www.w3.org/ns/activitystreams',
            id: articleUrl(this.config.publicUrl, article.id).href,
            type: 'Tombstone',
            formerType: 'Article',
            deleted: isoSeconds(article.deletedAt),
          }),
        );
      return;
    }
    if (!asJson) {
      res.redirect(302, article.url);
      return;
    }
    const authors = await this.actorsIn(article.authorIds);
    const publication =
      article.publicationId === null ? null : await this.actors.findById(article.publicationId);
    const json = renderArticle({ article, authors, publication, publicUrl: this.config.publicUrl });
    res.status(200).type(AP_CONTENT_TYPE).send(JSON.stringify(json));
  }

  private async actorsIn(ids: readonly string[]): Promise<Actor[]> {
    const found = await Promise.all(ids.map((id) => this.actors.findById(id)));
    return found.filter((a): a is Actor => a !== null);
  }
}
