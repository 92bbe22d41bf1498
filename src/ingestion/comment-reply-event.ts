import type { AnswerRequest } from '../comments/reply-back.js';
import type { Problem } from './ingest.js';

/** Type of the event that carries an author's answer to a fediverse comment. */
export const COMMENT_REPLY = 'comment.reply';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ID = 255;

/**
 * Checks a `comment.reply` event:
 * `{ "eventId": uuid, "type": "comment.reply", "reply": { "commentId": uuid, "authorId": string,
 *    "contentHtml": string, "id"?: string } }`. The answer's platform id is `reply.id`, else the
 * event id, so a redelivered event stores nothing new.
 */
export function parseCommentReply(
  raw: unknown,
): { ok: true; eventId: string; request: AnswerRequest } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const event = isObject(raw) ? raw : {};
  if (!isObject(raw)) problems.push({ pointer: '', message: 'must be a JSON object' });
  const eventId = event.eventId;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) {
    problems.push({ pointer: '/eventId', message: 'must be a UUID' });
  }
  const reply = isObject(event.reply) ? event.reply : null;
  if (reply === null) problems.push({ pointer: '/reply', message: 'must be an object' });
  const { commentId, authorId, contentHtml, id } = reply ?? {};
  if (reply !== null) {
    if (typeof commentId !== 'string' || !UUID.test(commentId)) {
      problems.push({ pointer: '/reply/commentId', message: 'must be a comment id (UUID)' });
    }
    if (!isId(authorId)) {
      problems.push({ pointer: '/reply/authorId', message: 'must be a non-empty string' });
    }
    if (typeof contentHtml !== 'string' || contentHtml.trim() === '') {
      problems.push({ pointer: '/reply/contentHtml', message: 'must be a non-empty string' });
    }
    if (id !== undefined && !isId(id)) {
      problems.push({ pointer: '/reply/id', message: 'must be a non-empty string' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    eventId: (eventId as string).toLowerCase(),
    request: {
      commentId: (commentId as string).toLowerCase(),
      authorId: authorId as string,
      contentHtml: contentHtml as string,
      platformId: (id as string | undefined) ?? (eventId as string).toLowerCase(),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID;
}
