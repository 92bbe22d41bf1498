import type { Actor } from './actor.js';

/** What {@link attributionDomains} reads besides the actor: the publications of an author. */
export interface AttributionLookup {
  publicationsOf(authorId: string): Promise<readonly Actor[]>;
}

/**
 * The domains whose pages may credit `actor` on Mastodon link cards (`attributionDomains`,
 * Mastodon 4.3+): its custom domain and the host of its profile URL and, for an author, the same
 * of every publication they write for. Host names only, lower case, without port (Mastodon compares
 * the card URL's host, and also accepts subdomains of a listed domain), each once, in that order.
 *
 * The actor document and the attribution API both call this, so what the API tells the platform
 * to put in its pages is what followers' servers read from the actor.
 */
export async function attributionDomains(
  lookup: AttributionLookup,
  actor: Actor,
): Promise<string[]> {
  const publications = actor.kind === 'author' ? await lookup.publicationsOf(actor.id) : [];
  return attributionDomainsOf(actor, publications);
}

/** {@link attributionDomains} once the publications are known (none for a publication). */
export function attributionDomainsOf(actor: Actor, publications: readonly Actor[]): string[] {
  const domains = new Set<string>();
  for (const owner of [actor, ...publications]) {
    if (owner.customDomain !== null) domains.add(owner.customDomain.toLowerCase());
    const host = hostOf(owner.profileUrl);
    if (host !== null) domains.add(host);
  }
  return [...domains];
}

/** The host name of `url` (lower case, no port), or null for none or an unreadable one. */
function hostOf(url: string | null): string | null {
  if (url === null || !URL.canParse(url)) return null;
  const { hostname } = new URL(url);
  return hostname === '' ? null : hostname;
}
