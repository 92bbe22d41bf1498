import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actors/actor.js';
import { actorUrl } from '../../actors/actor-urls.js';
import { ActorsService } from '../../actors/actors.service.js';
import { ArticleRepository } from '../../articles/article.repository.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { DeliveryRepository } from '../../delivery/delivery.repository.js';
import { activityUrl, announceActivity, articleActivity } from '../../publishing/activities.js';
import { followersUrl } from '../../publishing/article-urls.js';
import { renderedHash } from '../../publishing/publisher.js';
import { renderArticle } from '../../publishing/render-article.js';

/** What backfilling one story came to. */
export type BackfillResult =
  | { readonly outcome: 'backfilled'; readonly activities: number }
  | { readonly outcome: 'skipped'; readonly reason: string };

/**
 * Records stories as published without sending them: the state the publisher would have written
 * after a Create to nobody (`article_federation` with the rendered hash, the primary author's
 * Create and the co-authors' and publication's Announces stored with no deliveries). Their
 * outboxes then list the story, and the next change of it is an Update, as for any story
 * followers have; its publish jobs still queued find the rendering unchanged and send nothing.
 *
 * It takes the publisher's per-story lock and reads its state under it, so a publish job
 * running at the same time either published the story first (it is then skipped here) or finds
 * it backfilled. The activities carry the story's publication time (`published`, and
 * `created_at`, which orders outboxes), so an old story takes its place in the back catalogue
 * rather than at the top.
 */
@Injectable()
export class Backfiller {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly articles: ArticleRepository,
    private readonly actors: ActorsService,
    private readonly deliveries: DeliveryRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async backfill(articleId: string): Promise<BackfillResult> {
    return this.db.transaction(async (tx) => {
      // The publisher's lock (src/publishing/publisher.ts): one writer of a story's state.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `publish:${articleId}`,
      ]);
      const sent = await tx.query<unknown[]>(
        'SELECT 1 FROM article_federation WHERE article_id = $1',
        [articleId],
      );
      if (sent.length > 0) return skipped('already published');
      const article = await this.articles.findById(articleId);
      if (article === null) return skipped('story not stored');
      if (article.deletedAt !== null) return skipped('deleted');
      const authors = (
        await Promise.all(article.authorIds.map((id) => this.actors.findById(id)))
      ).filter((a): a is Actor => a !== null);
      const primary = authors[0];
      if (primary === undefined) return skipped('none of its authors is stored');
      const publication =
        article.publicationId === null ? null : await this.actors.findById(article.publicationId);
      const json = renderArticle({
        article,
        authors,
        publication,
        publicUrl: this.config.publicUrl,
      });
      const at = article.publishedAt;
      const authorUrl = actorUrl(this.config.publicUrl, primary.id).href;
      const createId = await this.store(tx, 'Create', primary.id, articleId, json.id, (uri) =>
        articleActivity('Create', uri, authorUrl, json, at),
      );
      const ids = [createId];
      const boosters = [...authors.slice(1), ...(publication === null ? [] : [publication])];
      for (const booster of boosters) {
        ids.push(
          await this.store(tx, 'Announce', booster.id, articleId, json.id, (uri) =>
            announceActivity(
              uri,
              actorUrl(this.config.publicUrl, booster.id).href,
              followersUrl(this.config.publicUrl, booster.id).href,
              authorUrl,
              json.id,
              article.visibility === 'unlisted',
              at,
            ),
          ),
        );
      }
      // Nothing to queue: marked queued, so the delivery relay leaves them alone.
      await tx.query(
        `UPDATE outbound_activities SET created_at = $2, enqueued_at = now()
          WHERE id = ANY($1::uuid[])`,
        [ids, at],
      );
      await tx.query(
        `INSERT INTO article_federation
                (article_id, state, actor_id, rendered_hash, create_activity_id, last_activity_id)
         VALUES ($1, 'published', $2, $3, $4, $4)`,
        [articleId, primary.id, renderedHash(json), createId],
      );
      return { outcome: 'backfilled', activities: ids.length };
    });
  }

  /** Stores one activity with no deliveries; returns its id. */
  private async store(
    tx: EntityManager,
    type: 'Create' | 'Announce',
    actorId: string,
    articleId: string,
    objectUri: string,
    build: (uri: string) => Record<string, unknown>,
  ): Promise<string> {
    const id = randomUUID();
    const uri = activityUrl(this.config.publicUrl, id).href;
    await this.deliveries.insertActivity(tx, {
      id,
      uri,
      type,
      actorId,
      articleId,
      objectUri,
      body: build(uri),
      inboxes: [],
    });
    return id;
  }
}

function skipped(reason: string): BackfillResult {
  return { outcome: 'skipped', reason };
}
