import { InjectQueue } from '@nestjs/bullmq';
import { HttpException, Injectable, Logger, Optional } from '@nestjs/common';
import { AnswerRefused, ReplyBack } from '../comments/reply-back.js';
import { COMMENT_REPLY, parseCommentReply } from './comment-reply-event.js';
import type { Queue } from 'bullmq';
import { ActorsService } from '../actors/actors.service.js';
import { contentHash } from '../articles/content-hash.js';
import { Metrics } from '../metrics/metrics.js';
import { type JobMap, QueueName, PUBLISH_JOB_OPTIONS } from '../queue/jobs.js';
import { commandOf, eventIdOf, validateArticleEvent } from './article-event.js';
import type {
  AuthorRef,
  EventSink,
  IngestCommand,
  IngestContext,
  IngestOutcome,
  IngestSource,
  PublicationRef,
} from './ingest.js';
import { IngestRepository, type PendingChange, type WriteResult } from './ingest.repository.js';

/**
 * The publish job's id for a change, from its event id (one change per event, unique across
 * databases too): enqueueing the same change twice adds one job.
 */
export const publishJobId = (eventId: string): string => `publish-${eventId}`;

/** Counters since the process started, by source and outcome. */
export type IngestCounts = Record<string, number>;

/**
 * Applies article events: validates them, creates or updates the authors and publication they
 * name, stores the story's new state with its change and a log line in one transaction, and then
 * queues one publish job per change. Implements {@link EventSink} for every source.
 */
@Injectable()
export class IngestService implements EventSink {
  private readonly logger = new Logger(IngestService.name);
  private readonly counts: IngestCounts = {};

  constructor(
    private readonly store: IngestRepository,
    private readonly actors: ActorsService,
    @InjectQueue(QueueName.publish)
    private readonly publishQueue: Queue<JobMap['article.publish'], unknown, 'article.publish'>,
    private readonly replyBack: ReplyBack,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** Ingest counters of this process (`source:outcome` → count). */
  stats(): Readonly<IngestCounts> {
    return { ...this.counts };
  }

  async ingestEvent(
    raw: unknown,
    source: IngestSource,
    context: IngestContext = {},
  ): Promise<IngestOutcome> {
    if (typeOf(raw) === COMMENT_REPLY) return this.commentReply(raw, source, context);
    const result = validateArticleEvent(raw);
    if (!result.ok) {
      const eventId = eventIdOf(raw);
      const problems = result.problems;
      const message =
        typeof raw === 'string'
          ? 'not a JSON object'
          : problems
              .slice(0, 5)
              .map((p) => `${p.pointer} ${p.message}`)
              .join('; ');
      await this.store.log({
        eventId,
        source,
        origin: context.origin ?? null,
        eventType: typeOf(raw),
        articlePlatformId: articleIdOf(raw),
        outcome: 'rejected',
        reason: 'invalid_event',
        message,
        problems,
      });
      return this.done(source, {
        eventId,
        outcome: 'rejected',
        reason: 'invalid_event',
        message,
        problems,
      });
    }
    return this.apply(commandOf(result.value, source), context);
  }

  /**
   * A `comment.reply` event: an author's answer to a fediverse comment (see ReplyBack). Refused
   * answers (unknown comment or author, empty content) are logged and counted as rejected.
   */
  private async commentReply(
    raw: unknown,
    source: IngestSource,
    context: IngestContext,
  ): Promise<IngestOutcome> {
    const parsed = parseCommentReply(raw);
    const line = { source, origin: context.origin ?? null, eventType: COMMENT_REPLY };
    if (!parsed.ok) {
      const message = parsed.problems.map((p) => `${p.pointer} ${p.message}`).join('; ');
      const eventId = eventIdOf(raw);
      await this.store.log({
        ...line,
        eventId,
        articlePlatformId: null,
        outcome: 'rejected',
        reason: 'invalid_event',
        message,
        problems: parsed.problems,
      });
      return this.done(source, {
        eventId,
        outcome: 'rejected',
        reason: 'invalid_event',
        message,
        problems: parsed.problems,
      });
    }
    const { eventId, request } = parsed;
    const duplicate = async (): Promise<IngestOutcome> => {
      await this.store.log({ ...line, eventId, articlePlatformId: null, outcome: 'duplicate' });
      return this.done(source, { eventId, outcome: 'duplicate' });
    };
    // An event id takes effect once, whatever its type (the answer's platform id is the second
    // guard: a crash before the log line leaves the answer, which the repeat finds).
    if ((await this.store.precheck(eventId, '', null)).duplicate) return duplicate();
    try {
      const { created } = await this.replyBack.answer(request);
      if (!created) return await duplicate();
      const logged = await this.store.logEffect({
        ...line,
        eventId,
        articlePlatformId: null,
        outcome: 'applied',
      });
      return logged ? this.done(source, { eventId, outcome: 'applied' }) : await duplicate();
    } catch (error) {
      if (!(error instanceof AnswerRefused)) throw error;
      await this.store.log({
        ...line,
        eventId,
        articlePlatformId: null,
        outcome: 'rejected',
        reason: error.reason,
        message: error.message,
      });
      return this.done(source, {
        eventId,
        outcome: 'rejected',
        reason: error.reason,
        message: error.message,
      });
    }
  }

  async apply(command: IngestCommand, context: IngestContext = {}): Promise<IngestOutcome> {
    const origin = context.origin ?? null;
    const platformId = command.kind === 'delete' ? command.platformId : command.article.platformId;
    const eventType = command.kind === 'delete' ? 'article.deleted' : command.eventType;
    const duplicate = async (): Promise<IngestOutcome> => {
      await this.store.log({
        eventId: command.eventId,
        source: command.source,
        origin,
        eventType,
        articlePlatformId: platformId,
        outcome: 'duplicate',
        reason: 'event_already_processed',
      });
      return this.done(command.source, {
        eventId: command.eventId,
        outcome: 'duplicate',
        reason: 'event_already_processed',
      });
    };
    // Cheap checks first, so a redelivered or refused event does not touch the actors.
    const precheck = await this.store.precheck(
      command.eventId,
      platformId,
      command.kind === 'upsert' ? command.article.updatedAt : null,
    );
    if (precheck.duplicate) return duplicate();

    let written: WriteResult;
    if (command.kind === 'delete') {
      written = await this.store.applyDelete({
        eventId: command.eventId,
        source: command.source,
        origin,
        platformId,
        occurredAt: command.occurredAt,
      });
    } else {
      if (precheck.refused) {
        // The transaction will refuse it (and log why); its actor profiles are as old as it is,
        // so they must not overwrite newer ones.
        written = await this.store.applyUpsert({
          eventId: command.eventId,
          eventType,
          source: command.source,
          origin,
          article: command.article,
          authorIds: [],
          publicationId: null,
          contentHash: '',
        });
      } else {
        const actors = await this.resolveActors(command.authors, command.publication);
        if ('rejected' in actors) {
          await this.store.log({
            eventId: command.eventId,
            source: command.source,
            origin,
            eventType,
            articlePlatformId: platformId,
            outcome: 'rejected',
            reason: actors.rejected.reason,
            message: actors.rejected.message,
          });
          return this.done(command.source, {
            eventId: command.eventId,
            outcome: 'rejected',
            ...actors.rejected,
          });
        }
        written = await this.store.applyUpsert({
          eventId: command.eventId,
          eventType,
          source: command.source,
          origin,
          article: command.article,
          authorIds: actors.authorIds,
          publicationId: actors.publicationId,
          contentHash: contentHash(command.article, actors.authorIds, actors.publicationId),
        });
      }
    }
    if (written.kind === 'duplicate') return duplicate();

    const { decision, change, articleId } = written;
    if (change !== null && articleId !== null) {
      await this.enqueue([
        { id: change.id, articleId, change: change.kind, eventId: command.eventId },
      ]);
    }
    return this.done(command.source, {
      eventId: command.eventId,
      outcome: decision.outcome,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      ...(change === null ? {} : { change: change.kind }),
      ...(articleId === null ? {} : { articleId }),
    });
  }

  /**
   * Queues the publish jobs of stored changes and records that they are queued. A failure here
   * loses nothing: the change stays unmarked and {@link relayPending} queues it later.
   */
  async enqueue(changes: readonly PendingChange[]): Promise<void> {
    if (changes.length === 0) return;
    try {
      await this.queueJobs(changes);
    } catch (error) {
      this.logger.warn(
        `publish jobs for change(s) ${changes.map((c) => c.id).join(', ')} not queued yet (${String(error)}); the relay retries`,
      );
    }
  }

  /** Queues changes whose job was never confirmed queued (after a crash or a queue outage). */
  async relayPending(olderThanMs = 10_000, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await this.store.pendingChanges(olderThanMs, batch);
      if (pending.length === 0) return total;
      await this.queueJobs(pending);
      total += pending.length;
      if (pending.length < batch) return total;
    }
  }

  /** Adds one publish job per change (the job id makes a repeat a no-op) and marks them queued. */
  private async queueJobs(changes: readonly PendingChange[]): Promise<void> {
    await this.publishQueue.addBulk(
      changes.map((c) => ({
        name: 'article.publish' as const,
        data: { changeId: c.id, articleId: c.articleId, change: c.change, eventId: c.eventId },
        opts: { ...PUBLISH_JOB_OPTIONS, jobId: publishJobId(c.eventId) },
      })),
    );
    await this.store.markEnqueued(changes.map((c) => c.id));
  }

  private async resolveActors(
    authors: readonly AuthorRef[],
    publication: PublicationRef | null,
  ): Promise<
    | { authorIds: string[]; publicationId: string | null }
    | { rejected: { reason: string; message: string } }
  > {
    try {
      // What can refuse the event goes first and writes nothing: authors referenced without a
      // profile must exist, and the publication (whose custom domain can be impossible) is
      // checked and stored before any author is. A refused event then creates or changes no
      // actor: its only effect is its log line (docs/events.md).
      const known = new Map<string, string>();
      for (const ref of authors) {
        if (ref.profile !== undefined) continue;
        const actor = await this.actors.findByPlatformId('author', ref.platformId);
        if (actor === null) {
          return {
            rejected: { reason: 'unknown_author', message: `author ${ref.platformId} not found` },
          };
        }
        known.set(ref.platformId, actor.id);
      }
      let publicationId: string | null = null;
      if (publication !== null) {
        const actor =
          publication.profile !== undefined
            ? (
                await this.actors.upsertPublication(publication.platformId, publication.profile, {
                  merge: true,
                })
              ).actor
            : await this.actors.findByPlatformId('publication', publication.platformId);
        if (actor === null) {
          return {
            rejected: {
              reason: 'unknown_publication',
              message: `publication ${publication.platformId} not found`,
            },
          };
        }
        publicationId = actor.id;
      }
      const authorIds: string[] = [];
      for (const ref of authors) {
        const id =
          ref.profile === undefined
            ? known.get(ref.platformId)
            : (await this.actors.upsertAuthor(ref.platformId, ref.profile, { merge: true })).actor
                .id;
        if (id === undefined) throw new Error(`author ${ref.platformId} was not resolved`);
        authorIds.push(id);
      }
      if (publicationId !== null) {
        for (const authorId of authorIds) await this.actors.addMember(publicationId, authorId);
      }
      return { authorIds, publicationId };
    } catch (error) {
      // ActorsService refuses impossible profiles (a custom domain taken, the bridge's own host)
      // with 4xx exceptions; in an event those are rejections with a reason, not outages.
      if (error instanceof HttpException && error.getStatus() < 500) {
        const body = error.getResponse();
        const reason =
          typeof body === 'object' && 'error' in body && typeof body.error === 'string'
            ? body.error
            : 'invalid_actor';
        return { rejected: { reason, message: error.message } };
      }
      throw error;
    }
  }

  private done(source: IngestSource, outcome: IngestOutcome): IngestOutcome {
    const key = `${source}:${outcome.outcome}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    this.metrics?.ingest(source, outcome.outcome);
    if (outcome.outcome === 'rejected') {
      this.logger.warn(
        `${source} event ${outcome.eventId ?? '(no id)'} rejected: ${outcome.reason ?? ''} ${outcome.message ?? ''}`,
      );
    } else {
      this.logger.debug(
        `${source} event ${outcome.eventId ?? ''}: ${outcome.outcome}${outcome.change ? ` (${outcome.change})` : ''}`,
      );
    }
    return outcome;
  }
}

function typeOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || !('type' in raw)) return null;
  return typeof raw.type === 'string' ? raw.type.slice(0, 32) : null;
}

function articleIdOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || !('article' in raw)) return null;
  const article: unknown = raw.article;
  if (typeof article !== 'object' || article === null || !('id' in article)) return null;
  return typeof article.id === 'string' ? article.id.slice(0, 255) : null;
}
