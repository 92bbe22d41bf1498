import { actorUrl } from '../actors/actor-urls.js';

/** The ActivityPub id of a story: on the bridge's host, built from its internal id. */
export function articleUrl(publicUrl: URL, articleId: string): URL {
  return new URL(`/articles/${encodeURIComponent(articleId)}`, publicUrl);
}

/** A story's replies collection (the comments issue fills it). */
export function repliesUrl(publicUrl: URL, articleId: string): URL {
  return new URL(`${articleUrl(publicUrl, articleId).pathname}/replies`, publicUrl);
}

/** A story's conversation collection (FEP-7888). */
export function contextUrl(publicUrl: URL, articleId: string): URL {
  return new URL(`${articleUrl(publicUrl, articleId).pathname}/context`, publicUrl);
}

/** An actor's followers collection (served by the federation module). */
export function followersUrl(publicUrl: URL, actorId: string): URL {
  return new URL(`${actorUrl(publicUrl, actorId).pathname}/followers`, publicUrl);
}

/** Where a hashtag links: the bridge's tag path (a redirect target for the platform's tag page). */
export function tagUrl(publicUrl: URL, tag: string): URL {
  return new URL(`/tags/${encodeURIComponent(tag.toLowerCase())}`, publicUrl);
}
