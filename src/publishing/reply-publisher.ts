import { isActor } from '@fedify/vocab';
import type { Federation } from '@fedify/fedify';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { actorUrl } from '../actors/actor-urls.js';
import { ArticleRepository } from '../articles/article.repository.js';
import { CommentRepository } from '../comments/comment.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { DeliveryRepository } from '../delivery/delivery.repository.js';
import { FEDERATION } from '../federation/federation.tokens.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { isAcceptableInboxUrl } from '../followers/inbox-url.js';
import { activityUrl } from './activities.js';
import { contextUrl, followersUrl } from './article-urls.js';
import { answerCreate, renderAnswer } from './render-answer.js';

/**
 * Sends an answer written on the platform (see ReplyBack) as a Create(Note) from its author: to
 * the inbox of the commenter it answers (looked up with a request signed by the author, which
 * servers in authorized-fetch mode require) and to the author's followers. The activity's id is
 * the answer's, so it is sent once however often the job runs.
 */
@Injectable()
export class ReplyPublisher {
  private readonly logger = new Logger(ReplyPublisher.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly comments: CommentRepository,
    private readonly articles: ArticleRepository,
    private readonly followers: FollowerRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * Stores the Create and its deliveries; returns the activity ids to queue (none if sent, or if
   * the answer was removed or its story deleted meanwhile). When the commenter cannot be looked
   * up, this throws (the job is retried) unless `lastTry`: then the author's followers get it.
   */
  async publish(commentId: string, lastTry = false): Promise<{ activityIds: string[] }> {
    const answer = await this.comments.findById(commentId);
    if (answer === null || answer.localAuthorId === null || answer.parentId === null) {
      this.logger.warn(`comment.reply ${commentId}: not an answer written on the platform`);
      return { activityIds: [] };
    }
    if (await this.sent(answer.id)) return { activityIds: [] };
    const article = await this.articles.findById(answer.articleId);
    if (answer.status !== 'approved' || article === null || article.deletedAt !== null) {
      this.logger.log(`answer ${answer.id} not sent: it is ${answer.status} or its story is gone`);
      return { activityIds: [] };
    }
    const authorId = answer.localAuthorId;
    const parent = await this.comments.findById(answer.parentId);
    if (parent === null) return { activityIds: [] };
    let commenterInbox: string | null = null;
    // An answer to an answer written here has no remote commenter to reach.
    if (parent.localAuthorId === null) {
      try {
        commenterInbox = await this.inboxOf(parent.author.actorId, authorId);
      } catch (error) {
        if (!lastTry) throw error;
        this.logger.warn(
          `answer ${answer.id}: ${String(error)}; sent to the author's followers only`,
        );
      }
    }
    const publicUrl = this.config.publicUrl;
    const note = renderAnswer({
      answer,
      parent,
      authorUri: actorUrl(publicUrl, authorId).href,
      followersUri: followersUrl(publicUrl, authorId).href,
      contextUri: contextUrl(publicUrl, answer.articleId).href,
    });
    const uri = activityUrl(publicUrl, answer.id).href;
    const body = answerCreate(uri, note);
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `reply:${answer.id}`,
      ]);
      if (await this.sent(answer.id, tx)) return { activityIds: [] };
      const inboxes = new Set(await this.followers.inboxes([authorId]));
      if (commenterInbox !== null) inboxes.add(commenterInbox);
      await this.deliveries.insertActivity(tx, {
        id: answer.id,
        uri,
        type: 'Create',
        actorId: authorId,
        articleId: null,
        objectUri: answer.apId,
        body,
        inboxes: [...inboxes],
      });
      this.logger.log(
        `answer ${answer.id} to ${parent.author.handle}: Create to ${inboxes.size} inbox(es)`,
      );
      return { activityIds: [answer.id] };
    });
  }

  /**
   * Answers written on the platform that were never sent — their job failed for good or was lost
   * — stored more than `graceMs` ago and less than two days ago, oldest first.
   */
  async behind(limit: number, graceMs = 120_000): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT c.id FROM comments c
        WHERE c.local_author_id IS NOT NULL AND c.status = 'approved'
          AND c.created_at < now() - make_interval(secs => $2)
          AND c.created_at > now() - interval '2 days'
          AND NOT EXISTS (SELECT 1 FROM outbound_activities o WHERE o.id = c.id)
        ORDER BY c.created_at
        LIMIT $1`,
      [limit, graceMs / 1000],
    );
    return rows.map((r) => r.id);
  }

  /** Whether the answer's Create is stored (its id is the answer's). */
  private async sent(answerId: string, tx: EntityManager = this.db.manager): Promise<boolean> {
    const rows = await tx.query<unknown[]>('SELECT 1 FROM outbound_activities WHERE id = $1', [
      answerId,
    ]);
    return rows.length > 0;
  }

  /**
   * The shared (else personal) inbox of a remote actor, fetched with a request signed by our
   * author; null when the actor has none we would post to. Throws when it cannot be fetched, so
   * the job is retried.
   */
  private async inboxOf(remoteActorId: string, authorId: string): Promise<string | null> {
    const federation = this.moduleRef.get<Federation<void>>(FEDERATION, { strict: false });
    const ctx = federation.createContext(this.config.publicUrl, undefined);
    const documentLoader = await ctx.getDocumentLoader({ identifier: authorId });
    const actor = await ctx.lookupObject(remoteActorId, { documentLoader });
    if (actor === null || !isActor(actor) || actor.id?.href !== remoteActorId) {
      throw new Error(`commenter ${remoteActorId} could not be looked up`);
    }
    const inbox = actor.endpoints?.sharedInbox?.href ?? actor.inboxId?.href ?? null;
    if (inbox === null || !isAcceptableInboxUrl(inbox)) {
      this.logger.warn(`commenter ${remoteActorId} has no inbox we post to; followers only`);
      return null;
    }
    return inbox;
  }
}
