import type { Actor } from '../actors/actor.js';
import { actorUrl } from '../actors/actor-urls.js';
import { escapeHtml } from '../common/html.js';

/** The meta tag Mastodon (4.3+) reads from a linked page to credit its author on the card. */
export const CREATOR_META_NAME = 'fediverse:creator';

/** What the platform needs to credit an author on Mastodon link cards. */
export interface AttributionView {
  readonly platformId: string;
  /** The author's fediverse address, `@handle@host` (WebFinger on `PUBLIC_URL`'s host). */
  readonly handle: string;
  readonly metaTag: { readonly name: string; readonly content: string };
  /** The same tag as HTML, attribute values escaped, ready for the page's `<head>`. */
  readonly html: string;
  /** The domains the author's actor lists: only pages on these (or subdomains) get the byline. */
  readonly attributionDomains: readonly string[];
  readonly actorId: string;
  /** Why the byline will not show yet, when that is known. */
  readonly warning?: string;
}

/** The author's `@handle@host`: the address WebFinger answers for on `PUBLIC_URL`'s host. */
export function fediverseAddress(publicUrl: URL, actor: Actor): string {
  return `@${actor.handle}@${publicUrl.host}`;
}

/**
 * The attribution advice for `author`, whose actor lists `domains` as its `attributionDomains`
 * (computed by the same function the actor document uses).
 */
export function attributionView(
  publicUrl: URL,
  author: Actor,
  domains: readonly string[],
): AttributionView {
  const handle = fediverseAddress(publicUrl, author);
  return {
    platformId: author.platformId,
    handle,
    metaTag: { name: CREATOR_META_NAME, content: handle },
    html: `<meta name="${escapeHtml(CREATOR_META_NAME)}" content="${escapeHtml(handle)}">`,
    attributionDomains: [...domains],
    actorId: actorUrl(publicUrl, author.id).href,
    ...(domains.length === 0
      ? {
          warning:
            'attributionDomains is empty, so Mastodon will not show the "More from" byline on ' +
            'link cards: give the author a profileUrl on the platform domain (where the story ' +
            'pages are), or add them to a publication with a url or customDomain there.',
        }
      : {}),
  };
}
