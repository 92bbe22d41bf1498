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
import { CommentRepository, SHOWN_VISIBILITIES, type StoredComment } from './comment.repository.js';

/** Longest answer accepted, in characters of HTML. */
export const MAX_ANSWER_CHARS = 20_000;
/** Longest platform id (of an author or an answer). */
const MAX_ID = 255;
/** A platform id: printable, no control or format characters. */
const PLATFORM_ID = /^[^\p{C}]+$/u;

/** One problem with an answer's fields, located by a JSON pointer. */
export interface AnswerProblem {
  readonly pointer: string;
  readonly message: string;
}

/** An answer to a fediverse comment, written on the platform by one of its authors. */
export interface AnswerRequest {
  readonly commentId: string;
  /** The author's platform id. */
  readonly authorId: string;
  readonly contentHtml: string;
  /** The platform's id of the answer: a repeated request or event with it stores nothing new. */
  readonly platformId: string | null;
}

/**
 * Checks the fields of an answer (`authorId`, `contentHtml`, optional `replyId`) of an HTTP body
 * or an event's `reply`, `at` being their JSON pointer prefix.
 */
export function checkAnswer(
  value: unknown,
  at: string,
):
  | { ok: true; fields: Omit<AnswerRequest, 'commentId'> }
  | { ok: false; problems: AnswerProblem[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ pointer: at, message: 'must be a JSON object' }] };
  }
  const { authorId, contentHtml, replyId } = value as Record<string, unknown>;
  const problems: AnswerProblem[] = [];
  const isId = (v: unknown): v is string =>
    typeof v === 'string' && v.length <= MAX_ID && PLATFORM_ID.test(v);
  if (!isId(authorId)) {
    problems.push({
      pointer: `${at}/authorId`,
      message: `must be a platform id: 1 to ${MAX_ID} printable characters`,
    });
  }
  if (typeof contentHtml !== 'string' || contentHtml.trim() === '') {
    problems.push({ pointer: `${at}/contentHtml`, message: 'must be a non-empty string' });
  } else if (contentHtml.length > MAX_ANSWER_CHARS) {
    problems.push({
      pointer: `${at}/contentHtml`,
      message: `must be at most ${MAX_ANSWER_CHARS} characters`,
    });
  }
  if (replyId !== undefined && !isId(replyId)) {
    problems.push({
      pointer: `${at}/replyId`,
      message: `must be a platform id: 1 to ${MAX_ID} printable characters`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    fields: {
      authorId: authorId as string,
      contentHtml: contentHtml as string,
      platformId: (replyId as string | undefined) ?? null,
    },
  };
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

  /**
   * Stores the answer and queues its sending; `created` is false for a repeat (same platform id
   * under the same comment), which is answered with the answer stored first.
   */
  async answer(request: AnswerRequest): Promise<{ comment: StoredComment; created: boolean }> {
    const known = await this.repeatOf(request);
    if (known !== null) return { comment: known, created: false };
    const parent = await this.comments.findById(request.commentId);
    if (parent === null) {
      throw new AnswerRefused(404, 'comment_not_found', `no comment ${request.commentId}`);
    }
    // Only what the platform shows may be answered: an answer is public, and shown.
    if (parent.status !== 'approved') {
      throw new AnswerRefused(
        409,
        'comment_not_approved',
        `comment ${parent.id} is ${parent.status}`,
      );
    }
    if (!SHOWN_VISIBILITIES.includes(parent.visibility)) {
      throw new AnswerRefused(
        409,
        'comment_not_public',
        `comment ${parent.id} is ${parent.visibility}-only; a public answer would expose it`,
      );
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
    const writer: CommentAuthor = {
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
        author: writer,
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
    if (!stored.created) {
      // Another request with the same platform id got there first.
      const repeat = await this.repeatOf(request);
      if (repeat !== null) return { comment: repeat, created: false };
    }
    const comment = await this.comments.findById(stored.id);
    if (comment === null) throw new Error(`answer ${stored.id} vanished`);
    try {
      await this.publishQueue.add(
        'comment.reply',
        { commentId: comment.id },
        { ...PUBLISH_JOB_OPTIONS, jobId: `comment-reply-${comment.id}` },
      );
    } catch (error) {
      // Stored is what counts: the reconcile sweep sends answers whose job never ran.
      this.logger.warn(
        `answer ${comment.id} not queued yet (${String(error)}); reconcile sends it`,
      );
    }
    this.logger.log(`answer ${comment.id} by ${writer.handle} to comment ${parent.id} stored`);
    return { comment, created: true };
  }

  /** The answer stored before with the request's platform id; 409 if it answers another comment. */
  private async repeatOf(request: AnswerRequest): Promise<StoredComment | null> {
    if (request.platformId === null) return null;
    const known = await this.comments.findByPlatformId(request.platformId);
    if (known === null) return null;
    if (known.parentId !== request.commentId) {
      throw new AnswerRefused(
        409,
        'reply_id_taken',
        `replyId ${request.platformId} already answers another comment`,
      );
    }
    return known;
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
