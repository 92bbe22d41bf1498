import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../actors/actor.js';
import { ActorsService } from '../actors/actors.service.js';
import type { Article } from '../articles/article.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { asSent, createWithCurrentArticle } from './outbox-activity.js';
import { OutboxRepository } from './outbox.repository.js';
import { articleUrl } from './article-urls.js';
import { type ArticleJson, renderArticle } from './render-article.js';

/** Activities per outbox page. */
export const OUTBOX_PAGE_SIZE = 20;
/** Most stories a featured collection shows. */
export const FEATURED_LIMIT = 20;

/** One outbox page as JSON-LD activities, and the cursor of the next page. */
export interface OutboxJsonPage {
  readonly items: readonly Record<string, unknown>[];
  readonly next: string | null;
}

/**
 * An actor's outbox (its Creates and Announces of live stories, newest first) and featured
 * collection (its pinned live stories), as JSON-LD. Announces are served as they were sent;
 * Creates carry the story as it is now (see {@link createWithCurrentArticle}).
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** The page after `cursor` (the first page for null or `''`). */
  async page(actorId: string, cursor: string | null): Promise<OutboxJsonPage> {
    const page = await this.outbox.page(actorId, cursor === '' ? null : cursor, OUTBOX_PAGE_SIZE);
    const render = this.renderer();
    const items = await Promise.all(
      page.items.map(async (entry) =>
        entry.type === 'Create'
          ? createWithCurrentArticle(entry.body, await render(entry.article))
          : asSent(entry.body),
      ),
    );
    return { items, next: page.next };
  }

  count(actorId: string): Promise<number> {
    return this.outbox.count(actorId);
  }

  /**
   * The ids of the pinned stories, most recently pinned first. Ids, not embedded Articles:
   * Mastodon reads only ids or embedded `Note`s from a featured collection, and fetches each id.
   */
  async featured(actorId: string): Promise<string[]> {
    const articles = await this.outbox.featured(actorId, FEATURED_LIMIT);
    return articles.map((a) => articleUrl(this.config.publicUrl, a.id).href);
  }

  /** How many stories {@link featured} shows. */
  async featuredCount(actorId: string): Promise<number> {
    return Math.min(await this.outbox.featuredCount(actorId), FEATURED_LIMIT);
  }

  /** Renders stories, loading each author and publication once. */
  private renderer(): (article: Article) => Promise<ArticleJson> {
    const loaded = new Map<string, Promise<Actor | null>>();
    const actor = (id: string): Promise<Actor | null> => {
      let found = loaded.get(id);
      if (found === undefined) {
        found = this.actors.findById(id);
        loaded.set(id, found);
      }
      return found;
    };
    return async (article) => {
      const authors = (await Promise.all(article.authorIds.map(actor))).filter(
        (a): a is Actor => a !== null,
      );
      const publication =
        article.publicationId === null ? null : await actor(article.publicationId);
      return renderArticle({ article, authors, publication, publicUrl: this.config.publicUrl });
    };
  }
}
