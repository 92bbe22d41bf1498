import { PUBLIC, type ArticleJson, isoSeconds } from './render-article.js';

/** An activity as JSON-LD, ready to sign and send. */
export type ActivityJson = Record<string, unknown> & { readonly id: string; readonly type: string };

/** The ActivityPub id of an outbound activity. */
export function activityUrl(publicUrl: URL, activityId: string): URL {
  return new URL(`/activities/${encodeURIComponent(activityId)}`, publicUrl);
}

/**
 * Create or Update of a rendered Article, from `actor` (the primary author). The activity takes
 * the Article's context and addressing; the Article goes inside without its own `@context`.
 */
export function articleActivity(
  type: 'Create' | 'Update',
  id: string,
  actor: string,
  article: ArticleJson,
  at: Date,
): ActivityJson {
  const { '@context': context, ...object } = article;
  return {
    '@context': context,
    id,
    type,
    actor,
    published: isoSeconds(at),
    to: article.to,
    cc: article.cc,
    object,
  };
}

/** Delete of a story, with a Tombstone (Mastodon and others accept either a URI or this). */
export function deleteActivity(
  id: string,
  actor: string,
  objectId: string,
  addressing: { readonly to: unknown; readonly cc: unknown },
  at: Date,
): ActivityJson {
  return {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id,
    type: 'Delete',
    actor,
    published: isoSeconds(at),
    to: addressing.to,
    cc: addressing.cc,
    object: { id: objectId, type: 'Tombstone', formerType: 'Article', deleted: isoSeconds(at) },
  };
}

/**
 * A boost of a story by one of its other actors, to that actor's followers: the publication's
 * (FEP-1b12: a Group announces what is posted to it) or a co-author's. Like a Mastodon boost:
 * Public and the booster's followers, and the author in cc; for an unlisted story the two
 * collections swap places.
 */
export function announceActivity(
  id: string,
  booster: string,
  boosterFollowers: string,
  author: string,
  objectId: string,
  unlisted: boolean,
  at: Date,
): ActivityJson {
  return {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id,
    type: 'Announce',
    actor: booster,
    published: isoSeconds(at),
    to: unlisted ? [boosterFollowers] : [PUBLIC],
    cc: unlisted ? [PUBLIC, author] : [boosterFollowers, author],
    object: objectId,
  };
}

/** Update of one of our actors (profile change), to its followers. */
export function actorUpdateActivity(
  id: string,
  actorDocument: Record<string, unknown> & { readonly id?: unknown },
  followers: string,
  at: Date,
): ActivityJson {
  const { '@context': context, ...object } = actorDocument;
  return {
    '@context': context ?? 'https://www.w3.org/ns/activitystreams',
    id,
    type: 'Update',
    actor: object.id,
    published: isoSeconds(at),
    to: [PUBLIC],
    cc: [followers],
    object,
  };
}
