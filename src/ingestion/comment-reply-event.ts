import { type AnswerProblem, type AnswerRequest, checkAnswer } from '../comments/reply-back.js';

/** Type of the event that carries an author's answer to a fediverse comment. */
export const COMMENT_REPLY = 'comment.reply';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a `comment.reply` event:
 * `{ "eventId": uuid, "type": "comment.reply", "reply": { "commentId": uuid, "authorId": string,
 *    "contentHtml": string, "replyId"?: string } }`. The answer's platform id is `reply.replyId`,
 * else the event id, so a redelivered event stores nothing new.
 */
export function parseCommentReply(
  raw: unknown,
):
  { ok: true; eventId: string; request: AnswerRequest } | { ok: false; problems: AnswerProblem[] } {
  const problems: AnswerProblem[] = [];
  const event: Record<string, unknown> =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : {};
  const eventId = event.eventId;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) {
    problems.push({ pointer: '/eventId', message: 'must be a UUID' });
  }
  const reply = event.reply;
  const commentId =
    typeof reply === 'object' && reply !== null
      ? (reply as Record<string, unknown>).commentId
      : null;
  if (typeof commentId !== 'string' || !UUID.test(commentId)) {
    problems.push({ pointer: '/reply/commentId', message: 'must be a comment id (UUID)' });
  }
  const fields = checkAnswer(reply, '/reply');
  if (!fields.ok) problems.push(...fields.problems);
  if (problems.length > 0 || !fields.ok) return { ok: false, problems };
  const id = (eventId as string).toLowerCase();
  return {
    ok: true,
    eventId: id,
    request: {
      ...fields.fields,
      commentId: (commentId as string).toLowerCase(),
      platformId: fields.fields.platformId ?? id,
    },
  };
}
