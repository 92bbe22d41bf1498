import { Temporal } from '@js-temporal/polyfill';
import type { Context } from '@fedify/fedify';
import {
  type Actor as ApActor,
  Application,
  Endpoints,
  Group,
  Image,
  Link,
  Person,
  PropertyValue,
} from '@fedify/vocab';
import type { Actor } from '../actors/actor.js';
import { INSTANCE_IDENTIFIER } from '../actors/actor-urls.js';
import { escapeHtml } from '../common/html.js';

/** What an actor document needs beyond the actor row. */
export interface ActorDocumentExtras {
  /** Domains whose pages may credit this actor (`fediverse:creator`), without duplicates. */
  readonly attributionDomains: readonly string[];
  /** Where browsers and Mastodon's "open original page" go: the platform profile or our page. */
  readonly profileUrl: URL;
}

/**
 * The ActivityPub document of one of our actors: `Person` for an author, `Group` for a
 * publication (FEP-1b12), `Application` for the instance actor. Keys come from Fedify's key-pairs
 * dispatcher (RSA as `publicKey`, both as `assertionMethod` multikeys).
 */
export async function renderActor(
  ctx: Context<void>,
  actor: Actor,
  extras: ActorDocumentExtras,
): Promise<ApActor> {
  const identifier = actor.kind === 'instance' ? INSTANCE_IDENTIFIER : actor.id;
  const keys = await ctx.getActorKeyPairs(identifier);
  const common = {
    id: ctx.getActorUri(identifier),
    preferredUsername: actor.handle,
    name: actor.name,
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
    published: Temporal.Instant.fromEpochMilliseconds(actor.createdAt.getTime()),
    manuallyApprovesFollowers: false,
  };
  if (actor.kind === 'instance') {
    return new Application({
      ...common,
      summary: 'The instance actor of this fediverse bridge; it signs fetches.',
      url: extras.profileUrl,
      discoverable: false,
      indexable: false,
    });
  }
  const values = {
    ...common,
    summary: actor.summaryHtml === '' ? null : actor.summaryHtml,
    url: new Link({ href: extras.profileUrl, mediaType: 'text/html' }),
    icon: actor.avatarUrl === null ? null : new Image({ url: new URL(actor.avatarUrl) }),
    image: actor.headerUrl === null ? null : new Image({ url: new URL(actor.headerUrl) }),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    featured: ctx.getFeaturedUri(identifier),
    discoverable: true,
    indexable: actor.indexable,
    attachments: actor.profileLinks.map(
      (link) =>
        new PropertyValue({
          name: link.name,
          value: `<a href="${escapeHtml(link.url)}" rel="me nofollow noopener noreferrer" target="_blank">${escapeHtml(displayUrl(link.url))}</a>`,
        }),
    ),
    aliases: actor.alsoKnownAs.map((uri) => new URL(uri)),
  };
  const document = actor.kind === 'author' ? new Person(values) : new Group(values);
  return withAttributionDomains(ctx, document, extras.attributionDomains);
}

/** Mastodon's term for the domains that may credit an actor on link cards. */
const ATTRIBUTION_DOMAINS_TERM = {
  attributionDomains: { '@id': 'http://joinmastodon.org/ns#attributionDomains', '@type': '@id' },
};

/**
 * Adds `attributionDomains` (Mastodon 4.3+), which Fedify's vocabulary does not model: the
 * document is serialized, extended, and parsed back; Fedify keeps the parsed JSON and serves it
 * as is.
 */
async function withAttributionDomains<T extends Person | Group>(
  ctx: Context<void>,
  document: T,
  domains: readonly string[],
): Promise<T> {
  if (domains.length === 0) return document;
  const json = (await document.toJsonLd()) as Record<string, unknown>;
  const context: unknown = json['@context'];
  json['@context'] = [
    ...(Array.isArray(context) ? (context as unknown[]) : [context]),
    ATTRIBUTION_DOMAINS_TERM,
  ];
  json.attributionDomains = [...domains];
  const loaders = { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
  const parsed =
    document instanceof Person
      ? await Person.fromJsonLd(json, loaders)
      : await Group.fromJsonLd(json, loaders);
  return parsed as T;
}

/** `https://example.com/a/` → `example.com/a`, as profile fields usually show links. */
function displayUrl(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/$/, '');
}
