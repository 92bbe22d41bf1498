import type { Comment } from '../comments/comment.js';
import { type ActivityJson } from './activities.js';
import { isoSeconds, PUBLIC } from './render-article.js';

const NOTE_CONTEXT = [
  'https://www.w3.org/ns/activitystreams',
  { sensitive: 'as:sensitive', Hashtag: 'as:Hashtag' },
] as const;

/** What an answer written on the platform is rendered with. */
export interface AnswerInput {
  /** The answer, stored as a comment of our author. */
  readonly answer: Comment;
  /** The fediverse comment it answers. */
  readonly parent: Comment;
  readonly authorUri: string;
  readonly followersUri: string;
  /** The story's conversation (FEP-7888 `context`). */
  readonly contextUri: string;
}

/**
 * An answer as a public Note, Mastodon's shape of a reply: `inReplyTo` the comment, a Mention of
 * its author in `tag` and in `cc` (so their server notifies them), the author's followers in `cc`.
 */
export function renderAnswer(input: AnswerInput): ActivityJson {
  const { answer, parent } = input;
  return {
    '@context': NOTE_CONTEXT,
    id: answer.apId,
    type: 'Note',
    attributedTo: input.authorUri,
    inReplyTo: parent.apId,
    context: input.contextUri,
    content: answer.contentHtml,
    published: isoSeconds(answer.publishedAt),
    url: answer.apId,
    to: [PUBLIC],
    cc: [input.followersUri, parent.author.actorId],
    tag: [{ type: 'Mention', href: parent.author.actorId, name: parent.author.handle }],
    sensitive: false,
  };
}

/** The Create of a rendered answer, from its author. */
export function answerCreate(id: string, note: ActivityJson): ActivityJson {
  const { '@context': context, ...object } = note;
  return {
    '@context': context,
    id,
    type: 'Create',
    actor: object.attributedTo,
    published: object.published,
    to: object.to,
    cc: object.cc,
    object,
  };
}
