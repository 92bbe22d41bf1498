import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../actors/actor.js';
import { actorUrl } from '../actors/actor-urls.js';
import { ActorsService } from '../actors/actors.service.js';
import type { Article } from '../articles/article.js';
import { ArticleRepository } from '../articles/article.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import type { OutboundActivityType } from '../delivery/delivery.entity.js';
import { DeliveryRepository, type NewActivity } from '../delivery/delivery.repository.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { activityUrl, announceActivity, articleActivity, deleteActivity } from './activities.js';
import type { FederationState } from './article-federation.entity.js';
import { articleUrl, followersUrl } from './article-urls.js';
import { type ArticleJson, renderArticle } from './render-article.js';

/** What publishing a story's current state came to. */
export type PublishResult =
  | { readonly action: 'created' | 'updated' | 'deleted'; readonly activityIds: string[] }
  | {
      readonly action: 'unchanged' | 'skipped';
      readonly reason: string;
      readonly activityIds: readonly [];
    };

interface FederationRow {
  state: FederationState;
  actor_id: string;
  rendered_hash: string;
}

/**
 * Hash of what followers see of a rendered Article. `updated` is left out: a new timestamp with
 * nothing else changed is not worth an Update in every follower's timeline.
 */
export function renderedHash(article: ArticleJson): string {
  const rest: Record<string, unknown> = { ...article };
  delete rest.updated;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Turns a story's current state into activities for followers, comparing it with what they were
 * last sent (`article_federation`):
 *
 * - never sent, live → Create from the primary author to its followers' inboxes, and an Announce
 *   by each co-author and the publication (FEP-1b12) to theirs;
 * - sent, rendered differently now → Update, from the actor that created it, to the inboxes of
 *   all its actors' followers and every inbox that already received it;
 * - sent, now deleted → Delete with a Tombstone, to the same inboxes;
 * - otherwise nothing (same rendering, never sent and deleted, or deleted before).
 *
 * Always from the stored state, never from the event: jobs may run late or out of order and the
 * result is the same. One transaction under a per-story lock writes the activities, their
 * deliveries and the new state, so a retried job finds the work done and a Create can never be
 * written twice (also backed by a unique index).
 */
@Injectable()
export class Publisher {
  private readonly logger = new Logger(Publisher.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly articles: ArticleRepository,
    private readonly actors: ActorsService,
    private readonly followers: FollowerRepository,
    private readonly deliveries: DeliveryRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** Publishes what changed about story `articleId`; returns the activities written. */
  async publish(articleId: string): Promise<PublishResult> {
    return this.write(articleId, false);
  }

  /**
   * Records a story as published without sending it (the admin CLI's `backfill`): what a Create
   * to nobody leaves — `article_federation` with the rendered hash, the Create and the Announces
   * stored with no deliveries and marked queued, dated at the story's publication so outboxes
   * list it in its place. Its next change is then an Update, as for any story followers have.
   * Skipped when the story was published (or deleted) already.
   */
  async backfill(articleId: string): Promise<PublishResult> {
    return this.write(articleId, true);
  }

  private async write(articleId: string, silent: boolean): Promise<PublishResult> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `publish:${articleId}`,
      ]);
      // Read under the lock: a job that waited must not send an older state after a newer one.
      const article = await this.articles.findById(articleId);
      if (article === null) return skipped('story not stored');
      const rows = await tx.query<FederationRow[]>(
        'SELECT state, actor_id, rendered_hash FROM article_federation WHERE article_id = $1',
        [articleId],
      );
      const sent = rows[0] ?? null;
      if (sent?.state === 'deleted') return skipped('already deleted on the fediverse');
      if (silent && sent !== null) return skipped('already published');
      if (article.deletedAt !== null) {
        if (sent === null) return skipped('deleted before it was ever sent');
        return this.delete(tx, article, sent);
      }
      const authors = await this.actorsIn(article.authorIds);
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
      const hash = renderedHash(json);
      if (sent === null) {
        const others = [...authors.slice(1), ...(publication === null ? [] : [publication])];
        return this.create(tx, article, json, hash, primary, others, silent);
      }
      if (sent.rendered_hash === hash) {
        // Checked: the reconcile sweep compares this time with the story's.
        await tx.query('UPDATE article_federation SET updated_at = now() WHERE article_id = $1', [
          articleId,
        ]);
        return { action: 'unchanged', reason: 'rendering unchanged', activityIds: [] };
      }
      return this.update(tx, article, json, hash, sent, publication);
    });
  }

  /**
   * Stories whose stored state is ahead of what followers were sent — a publish job that failed
   * for good, or was lost with the queue — oldest first. Changes younger than `graceMs` are left
   * to their own jobs.
   */
  async behind(limit: number, graceMs = 120_000): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT a.id FROM articles a
         LEFT JOIN article_federation f ON f.article_id = a.id
        WHERE a.modified_at < now() - make_interval(secs => $2)
          AND ((f.article_id IS NULL AND a.deleted_at IS NULL)
               OR (f.state = 'published' AND a.modified_at > f.updated_at))
        ORDER BY a.modified_at
        LIMIT $1`,
      [limit, graceMs / 1000],
    );
    return rows.map((r) => r.id);
  }

  private async create(
    tx: EntityManager,
    article: Article,
    json: ArticleJson,
    hash: string,
    author: Actor,
    others: readonly Actor[],
    silent: boolean,
  ): Promise<PublishResult> {
    const now = silent ? article.publishedAt : new Date();
    const inboxesOf = (actorId: string) =>
      silent ? Promise.resolve([]) : this.followers.inboxes([actorId]);
    const authorUrl = actorUrl(this.config.publicUrl, author.id).href;
    const create = this.activity('Create', author.id, article.id, json.id, (uri) =>
      articleActivity('Create', uri, authorUrl, json, now),
    );
    await this.deliveries.insertActivity(tx, { ...create, inboxes: await inboxesOf(author.id) });
    const ids = [create.id];
    // Servers keep a Create only from an actor someone there follows (Mastodon: "related to
    // local activity"): co-authors and the publication each boost the story to their followers.
    for (const booster of others) {
      const announce = this.activity('Announce', booster.id, article.id, json.id, (uri) =>
        announceActivity(
          uri,
          actorUrl(this.config.publicUrl, booster.id).href,
          followersUrl(this.config.publicUrl, booster.id).href,
          authorUrl,
          json.id,
          article.visibility === 'unlisted',
          now,
        ),
      );
      await this.deliveries.insertActivity(tx, {
        ...announce,
        inboxes: await inboxesOf(booster.id),
      });
      ids.push(announce.id);
    }
    if (silent) {
      // Nothing to send: dated in the back catalogue, and marked queued for the delivery relay.
      await tx.query(
        `UPDATE outbound_activities SET created_at = $2, enqueued_at = now()
          WHERE id = ANY($1::uuid[])`,
        [ids, now],
      );
    }
    await tx.query(
      `INSERT INTO article_federation
              (article_id, state, actor_id, rendered_hash, create_activity_id, last_activity_id)
       VALUES ($1, 'published', $2, $3, $4, $4)`,
      [article.id, author.id, hash, create.id],
    );
    return { action: 'created', activityIds: ids };
  }

  private async update(
    tx: EntityManager,
    article: Article,
    json: ArticleJson,
    hash: string,
    sent: FederationRow,
    publication: Actor | null,
  ): Promise<PublishResult> {
    const now = new Date();
    const update = this.activity('Update', sent.actor_id, article.id, json.id, (uri) =>
      articleActivity(
        'Update',
        uri,
        actorUrl(this.config.publicUrl, sent.actor_id).href,
        json,
        now,
      ),
    );
    await this.deliveries.insertActivity(tx, {
      ...update,
      inboxes: await this.everyInbox(tx, article, publication?.id ?? null),
    });
    await tx.query(
      `UPDATE article_federation SET rendered_hash = $2, last_activity_id = $3, updated_at = now()
        WHERE article_id = $1`,
      [article.id, hash, update.id],
    );
    return { action: 'updated', activityIds: [update.id] };
  }

  private async delete(
    tx: EntityManager,
    article: Article,
    sent: FederationRow,
  ): Promise<PublishResult> {
    const now = new Date();
    const objectId = articleUrl(this.config.publicUrl, article.id).href;
    const followers = [
      ...article.authorIds,
      ...(article.publicationId === null ? [] : [article.publicationId]),
    ].map((id) => followersUrl(this.config.publicUrl, id).href);
    const del = this.activity('Delete', sent.actor_id, article.id, objectId, (uri) =>
      deleteActivity(
        uri,
        actorUrl(this.config.publicUrl, sent.actor_id).href,
        objectId,
        { to: ['https://www.w3.org/ns/activitystreams#Public'], cc: followers },
        now,
      ),
    );
    await this.deliveries.insertActivity(tx, {
      ...del,
      inboxes: await this.everyInbox(tx, article, article.publicationId),
    });
    await this.deliveries.supersedeStory(tx, article.id, del.id);
    await tx.query(
      `UPDATE article_federation SET state = 'deleted', last_activity_id = $2, updated_at = now()
        WHERE article_id = $1`,
      [article.id, del.id],
    );
    return { action: 'deleted', activityIds: [del.id] };
  }

  /** Inboxes of the followers of every actor of the story, and of everyone who already has it. */
  private async everyInbox(
    tx: EntityManager,
    article: Article,
    publicationId: string | null,
  ): Promise<string[]> {
    const actorIds = [...article.authorIds, ...(publicationId === null ? [] : [publicationId])];
    const inboxes = new Set(await this.followers.inboxes(actorIds));
    for (const inbox of await this.deliveries.deliveredInboxes(tx, article.id)) inboxes.add(inbox);
    return [...inboxes];
  }

  private activity(
    type: OutboundActivityType,
    actorId: string,
    articleId: string,
    objectUri: string,
    build: (uri: string) => Record<string, unknown>,
  ): Omit<NewActivity, 'inboxes'> {
    const id = randomUUID();
    const uri = activityUrl(this.config.publicUrl, id).href;
    return { id, uri, type, actorId, articleId, objectUri, body: build(uri) };
  }

  private async actorsIn(ids: readonly string[]): Promise<Actor[]> {
    const found = await Promise.all(ids.map((id) => this.actors.findById(id)));
    const missing = ids.filter((_, i) => found[i] === null);
    if (missing.length > 0) this.logger.warn(`authors not stored: ${missing.join(', ')}`);
    return found.filter((a): a is Actor => a !== null);
  }
}

function skipped(reason: string): PublishResult {
  return { action: 'skipped', reason, activityIds: [] };
}
