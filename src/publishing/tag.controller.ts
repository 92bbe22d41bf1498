import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ArticleRepository } from '../articles/article.repository.js';
import { escapeHtml } from '../common/html.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { wantsActivityJson } from './article.controller.js';
import { articleUrl, tagUrl } from './article-urls.js';

/** Stories listed per tag. */
const TAG_PAGE_SIZE = 20;

/**
 * `/tags/{tag}`, where the `href` of every Hashtag in our Articles points:
 * - ActivityPub clients get an `OrderedCollection` of the newest public stories with the tag;
 * - browsers go to the platform's tag page (`PLATFORM_TAG_URL`), or, without one, get a short
 *   HTML list of those stories linking to the platform.
 */
@Controller('tags')
export class TagController {
  constructor(
    private readonly articles: ArticleRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':tag')
  async get(@Param('tag') raw: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const tag = raw.trim().replace(/^#/, '').toLowerCase();
    res.vary('Accept');
    if (tag === '' || tag.length > 100) {
      res.status(404).json({ error: 'not_found', message: 'no such tag' });
      return;
    }
    const asJson = wantsActivityJson(req.get('accept'));
    if (!asJson && this.config.platformTagUrl !== undefined) {
      res.redirect(302, this.config.platformTagUrl.replace('{tag}', encodeURIComponent(tag)));
      return;
    }
    const { total, items } = await this.articles.withTag(tag, TAG_PAGE_SIZE);
    if (asJson) {
      res
        .status(200)
        .type('application/activity+json; charset=utf-8')
        .send(
          JSON.stringify({
            '@context': 'https://www.w3.org/ns/activitystreams',
            id: tagUrl(this.config.publicUrl, tag).href,
            type: 'OrderedCollection',
            totalItems: total,
            orderedItems: items.map((a) => articleUrl(this.config.publicUrl, a.id).href),
          }),
        );
      return;
    }
    const list = items
      .map((a) => `<li><a href="${escapeHtml(a.url)}">${escapeHtml(a.title)}</a></li>`)
      .join('\n');
    res
      .status(200)
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>#${escapeHtml(tag)}</title></head>
<body>
<h1>#${escapeHtml(tag)}</h1>
${items.length === 0 ? '<p>No stories with this tag yet.</p>' : `<ul>\n${list}\n</ul>`}
</body>
</html>
`,
      );
  }
}
