import { Inject, Injectable, Logger } from '@nestjs/common';
import { ArticleRepository } from '../articles/article.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import type { InboundComment, ReplyBody } from './comment.js';
import { CommentRepository } from './comment.repository.js';
import { initialStatus } from './moderation.js';
import { ModerationRepository } from './moderation.repository.js';

/** Where a reply goes: under a story, or under a comment of one. */
export interface ReplyPlace {
  readonly articleId: string;
  readonly parentId: string | null;
  readonly depth: number;
}

/** Targets kept per report (Mastodon sends the account and the reported posts). */
const MAX_REPORT_TARGETS = 50;

const ARTICLE_PATH = /^\/articles\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * Takes replies from the inbox: finds what they answer (one of our live stories, or a comment we
 * stored) and stores them once, approved or held as the story's publication's policy says;
 * applies their authors' edits and deletions; refuses what blocked actors and domains send.
 */
@Injectable()
export class CommentIntake {
  private readonly logger = new Logger(CommentIntake.name);

  constructor(
    private readonly comments: CommentRepository,
    private readonly articles: ArticleRepository,
    private readonly moderation: ModerationRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** What `inReplyTo` names among our stories and known comments; null when neither. */
  async placeFor(inReplyTo: string): Promise<ReplyPlace | null> {
    let url: URL;
    try {
      url = new URL(inReplyTo);
    } catch {
      return null;
    }
    if (url.origin === this.config.publicUrl.origin) {
      const id = ARTICLE_PATH.exec(url.pathname)?.[1];
      if (id === undefined || url.search !== '') return null;
      const article = await this.articles.findById(id);
      if (article === null || article.deletedAt !== null) return null;
      return { articleId: article.id, parentId: null, depth: 0 };
    }
    const parent = await this.comments.placeOf(url.href);
    return parent === null
      ? null
      : { articleId: parent.articleId, parentId: parent.id, depth: parent.depth + 1 };
  }

  /**
   * Stores a reply (once, by its id) with the status its story's moderation policy gives it;
   * null when it is not stored: its Delete came first, or its author or domain is blocked.
   */
  async receive(comment: InboundComment): Promise<{ id: string; created: boolean } | null> {
    if (await this.moderation.isBlocked(comment.author.actorId)) {
      this.logger.log(`reply ${comment.apId} refused: ${comment.author.handle} is blocked`);
      return null;
    }
    if (await this.comments.tombstoned(comment.apId)) {
      this.logger.log(`reply ${comment.apId} not stored: it was deleted before it arrived`);
      return null;
    }
    const article = await this.articles.findById(comment.articleId);
    const policy = await this.moderation.policyOf(article?.publicationId ?? null);
    const firstTime =
      policy.mode === 'hold_first_time' &&
      !(await this.moderation.hasApproved(comment.author.actorId));
    const { status, reason } = initialStatus(policy, comment.contentText, firstTime);
    const stored = await this.comments.insert(comment, status);
    if (stored.created && reason !== null) {
      this.logger.log(`comment ${stored.id} held for moderation: ${reason}`);
    }
    if (stored.created) {
      this.logger.log(
        `comment ${stored.id} from ${comment.author.handle} on story ${comment.articleId} (${comment.visibility})`,
      );
    }
    return stored;
  }

  /** An Update of a reply by its author: an edit (the earlier version is kept). */
  async edit(apId: string, authorActorId: string, body: ReplyBody): Promise<boolean> {
    if (await this.moderation.isBlocked(authorActorId)) return false;
    return this.comments.edit(apId, authorActorId, body);
  }

  /** A Delete of a reply by its author: removed, or remembered if it is not here yet. */
  remove(apId: string, authorActorId: string): Promise<boolean> {
    return this.comments.removeOrTombstone(apId, authorActorId, 'deleted by its author');
  }

  /**
   * A Flag: stored when it names something of ours — one of our actors or stories, or a comment
   * stored here; anything else is not our business. Returns whether it was stored (new).
   */
  async report(flag: {
    apId: string;
    reporterActorId: string;
    content: string | null;
    targets: readonly string[];
  }): Promise<boolean> {
    const targets = flag.targets.slice(0, MAX_REPORT_TARGETS);
    let ours = false;
    for (const target of targets) {
      if (this.isOurs(target) || (await this.comments.isComment(target))) {
        ours = true;
        break;
      }
    }
    if (!ours) return false;
    const stored = await this.comments.addReport({
      ...flag,
      reporterHost: new URL(flag.reporterActorId).host,
      targets,
    });
    if (stored) this.logger.warn(`report ${flag.apId} from ${flag.reporterActorId}`);
    return stored;
  }

  private isOurs(uri: string): boolean {
    try {
      return new URL(uri).origin === this.config.publicUrl.origin;
    } catch {
      return false;
    }
  }

  /** Whether a remote actor, or its domain, is blocked. */
  isBlocked(actorId: string): Promise<boolean> {
    return this.moderation.isBlocked(actorId);
  }

  /** Whether a remote actor has comments here. */
  isKnownAuthor(actorId: string): Promise<boolean> {
    return this.comments.hasAuthor(actorId);
  }

  /** A Delete of an actor: every comment, like and boost of theirs is removed. */
  async removeAuthor(authorActorId: string): Promise<number> {
    await this.comments.removeInteractionsOf(authorActorId);
    return this.comments.removeByAuthor(authorActorId, 'its author was deleted');
  }

  /** Like or Announce of `objectUri` by `actorId`: counted when it is one of our live stories. */
  async interact(
    type: 'like' | 'announce',
    actorId: string,
    objectUri: string,
    activityId: string | null,
  ): Promise<boolean> {
    if (await this.moderation.isBlocked(actorId)) return false;
    const place = await this.placeFor(objectUri);
    if (place === null || place.parentId !== null) return false;
    return this.comments.addInteraction(place.articleId, type, actorId, activityId);
  }

  /** Undo of a Like or Announce: by its id, else by the story it named. */
  async undoInteraction(
    type: 'like' | 'announce',
    actorId: string,
    activityId: string | null,
    objectUri: string | null,
  ): Promise<boolean> {
    if (
      activityId !== null &&
      (await this.comments.removeInteraction(actorId, type, { activityId }))
    ) {
      return true;
    }
    if (objectUri === null) return false;
    const place = await this.placeFor(objectUri);
    if (place === null || place.parentId !== null) return false;
    return this.comments.removeInteraction(actorId, type, { articleId: place.articleId });
  }
}
