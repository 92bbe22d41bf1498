import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { actorUrl } from '../actors/actor-urls.js';
import { ActorsService } from '../actors/actors.service.js';
import { ArticleRepository } from '../articles/article.repository.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { PUBLISH_JOB_OPTIONS, QueueName } from '../queue/jobs.js';
import { commentPlainText, sanitizeCommentHtml } from './comment-html.js';
import type { CommentAuthor } from './comment.js';
import { CommentRepository, type StoredComment } from './comment.repository.js';

/** Longest answer accepted, in characters of HTML. */
export const MAX_ANSWER_CHARS = 20_000;

/** An answer to a fediverse comment, written on the platform by one of its authors. */
export interface AnswerRequest {
  readonly commentId: string;
  /** The author's platform id. */
  readonly authorId: string;
  readonly contentHtml: string;
  /** The platform's id of the answer: a repeated request or event with it stores nothing new. */
  readonly platformId: string | null;
}

/** Why an answer was refused; `status` is what the HTTP API answers. */
export class AnswerRefused extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AnswerRefused';
  }
}

/** The ActivityPub id of an answer written on the platform. */
export function answerUrl(publicUrl: URL, commentId: string): URL {
  return new URL(`/comments/${encodeURIComponent(commentId)}`, publicUrl);
}

/**
 * Reply-back: an author answers a fediverse comment from the platform. The answer is stored as a
 * comment under the one it answers (approved, public, with a mention of that comment's author
 * first) and a `comment.reply` job sends it as a Create(Note) from the author's actor.
 */
@Injectable()
export class ReplyBack {
  private readonly logger = new Logger(ReplyBack.name);

  constructor(
    private readonly comments: CommentRepository,
    private readonly articles: ArticleRepository,
    private readonly actors: ActorsService,
    @InjectQueue(QueueName.publish) private readonly publishQueue: Queue,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** Stores the answer and queues its sending; `created` is false for a repeat. */
  async answer(request: AnswerRequest): Promise<{ comment: StoredComment; created: boolean }> {
    const parent = await this.comments.findById(request.commentId);
    if (parent === null) {
      throw new AnswerRefused(404, 'comment_not_found', `no comment ${request.commentId}`);
    }
    if (parent.status === 'removed' || parent.status === 'rejected') {
      throw new AnswerRefused(409, 'comment_not_shown', `comment ${parent.id} is ${parent.status}`);
    }
    const article = await this.articles.findById(parent.articleId);
    if (article === null || article.deletedAt !== null) {
      throw new AnswerRefused(409, 'article_deleted', 'the story of this comment was deleted');
    }
    const author = await this.actors.findByPlatformId('author', request.authorId);
    if (author === null) {
      throw new AnswerRefused(
        404,
        'author_not_found',
        `no author with platform id ${request.authorId}`,
      );
    }
    const body = sanitizeCommentHtml(request.contentHtml.slice(0, MAX_ANSWER_CHARS));
    if (commentPlainText(body).trim() === '') {
      throw new AnswerRefused(400, 'empty_content', 'contentHtml has no text once sanitized');
    }
    const id = randomUUID();
    const html = withMention(body, parent.author);
    const authorUri = actorUrl(this.config.publicUrl, author.id).href;
    const author_: CommentAuthor = {
      actorId: authorUri,
      handle: `@${author.handle}@${this.config.publicUrl.host}`,
      name: author.name,
      avatarUrl: author.avatarUrl,
      profileUrl: author.profileUrl,
      host: this.config.publicUrl.host,
    };
    const stored = await this.comments.insert(
      {
        apId: answerUrl(this.config.publicUrl, id).href,
        url: null,
        articleId: parent.articleId,
        parentId: parent.id,
        depth: parent.depth + 1,
        author: author_,
        contentHtml: html,
        contentText: commentPlainText(html),
        language: null,
        summary: null,
        sensitive: false,
        attachments: [],
        publishedAt: new Date(),
        editedAt: null,
        visibility: 'public',
      },
      'approved',
      { id, localAuthorId: author.id, platformId: request.platformId },
    );
    const comment = await this.comments.findById(stored.id);
    if (comment === null) throw new Error(`answer ${stored.id} vanished`);
    if (comment.localAuthorId === null || comment.parentId !== parent.id) {
      throw new AnswerRefused(
        409,
        'platform_id_taken',
        `platform id ${request.platformId ?? ''} names another comment`,
      );
    }
    // Queued for a repeat too (a no-op while the first job is kept): sending is idempotent, so
    // this makes up for a first job that was lost.
    await this.publishQueue.add(
      'comment.reply',
      { commentId: comment.id },
      { ...PUBLISH_JOB_OPTIONS, jobId: `comment-reply-${comment.id}` },
    );
    if (stored.created) {
      this.logger.log(`answer ${comment.id} by ${author_.handle} to comment ${parent.id} queued`);
    }
    return { comment, created: stored.created };
  }
}

/** The answer's HTML with a mention of `to` at the start (Mastodon's shape: an h-card link). */
export function withMention(html: string, to: CommentAuthor): string {
  const [, user = to.handle] = /^@?([^@]+)@/.exec(to.handle) ?? [];
  const href = escapeHtml(to.profileUrl ?? to.actorId);
  const mention = `<span class="h-card" translate="no"><a href="${href}" class="u-url mention">@<span>${escapeHtml(user)}</span></a></span>`;
  return html.startsWith('<p>') ? `<p>${mention} ${html.slice(3)}` : `<p>${mention}</p>${html}`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
