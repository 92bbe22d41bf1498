/**
 * Mastodon-shaped documents: the actor, WebFinger JRD, collections and the activities a Mastodon
 * account sends (Follow, Undo Follow, Accept, Create Note). Shapes follow what Mastodon's
 * serializers emit (contexts, id patterns), so the bridge parses what it will meet in the wild.
 */
import { randomUUID } from 'node:crypto';

import type { JsonObject } from './keys.js';

/** Content type of every ActivityPub document the peer serves or sends. */
export const ACTIVITY_JSON = 'application/activity+json';
/** ActivityStreams context. */
export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
/** Security vocabulary (publicKey, owner, publicKeyPem). */
export const SECURITY_CONTEXT = 'https://w3id.org/security/v1';
/** The `Public` collection. */
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

/** The extension terms Mastodon puts in an actor's inline context. */
const ACTOR_TERMS = {
  manuallyApprovesFollowers: 'as:manuallyApprovesFollowers',
  toot: 'http://joinmastodon.org/ns#',
  featured: { '@id': 'toot:featured', '@type': '@id' },
  featuredTags: { '@id': 'toot:featuredTags', '@type': '@id' },
  alsoKnownAs: { '@id': 'as:alsoKnownAs', '@type': '@id' },
  movedTo: { '@id': 'as:movedTo', '@type': '@id' },
  schema: 'http://schema.org#',
  PropertyValue: 'schema:PropertyValue',
  value: 'schema:value',
  discoverable: 'toot:discoverable',
  suspended: 'toot:suspended',
  memorial: 'toot:memorial',
  indexable: 'toot:indexable',
  attributionDomains: { '@id': 'toot:attributionDomains', '@type': '@id' },
  focalPoint: { '@container': '@list', '@id': 'toot:focalPoint' },
};

/** The extension terms Mastodon puts in a status's inline context. */
const NOTE_TERMS = {
  ostatus: 'http://ostatus.org#',
  atomUri: 'ostatus:atomUri',
  inReplyToAtomUri: 'ostatus:inReplyToAtomUri',
  conversation: 'ostatus:conversation',
  sensitive: 'as:sensitive',
  toot: 'http://joinmastodon.org/ns#',
  votersCount: 'toot:votersCount',
};

/** The peer's identity as documents need it. */
export interface PeerIdentity {
  readonly origin: string;
  /** `127.0.0.1:PORT`. */
  readonly domain: string;
  readonly username: string;
  readonly actorUrl: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly alsoKnownAs: readonly string[];
}

/** The account's Person, as `GET /users/alice` answers it. */
export function personDocument(peer: PeerIdentity): JsonObject {
  const actor = peer.actorUrl;
  return {
    '@context': [AS_CONTEXT, SECURITY_CONTEXT, ACTOR_TERMS],
    id: actor,
    type: 'Person',
    following: `${actor}/following`,
    followers: `${actor}/followers`,
    inbox: `${actor}/inbox`,
    outbox: `${actor}/outbox`,
    featured: `${actor}/collections/featured`,
    featuredTags: `${actor}/collections/tags`,
    preferredUsername: peer.username,
    name: peer.username.charAt(0).toUpperCase() + peer.username.slice(1),
    summary: '<p>A test account on an independent ActivityPub peer.</p>',
    url: `${peer.origin}/@${peer.username}`,
    manuallyApprovesFollowers: false,
    discoverable: true,
    indexable: true,
    published: '2024-01-01T00:00:00Z',
    memorial: false,
    publicKey: { id: peer.keyId, owner: actor, publicKeyPem: peer.publicKeyPem },
    tag: [],
    attachment: [],
    endpoints: { sharedInbox: `${peer.origin}/inbox` },
    ...(peer.alsoKnownAs.length > 0 ? { alsoKnownAs: [...peer.alsoKnownAs] } : {}),
  };
}

/** Mastodon's instance actor (`/actor`), an Application sharing the account's key pair here. */
export function instanceActorDocument(peer: PeerIdentity): JsonObject {
  const id = `${peer.origin}/actor`;
  return {
    '@context': [AS_CONTEXT, SECURITY_CONTEXT, ACTOR_TERMS],
    id,
    type: 'Application',
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    preferredUsername: peer.domain,
    url: `${peer.origin}/about/more?instance_actor=true`,
    manuallyApprovesFollowers: true,
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: peer.publicKeyPem },
    endpoints: { sharedInbox: `${peer.origin}/inbox` },
  };
}

/** WebFinger JRD for the account, or for the instance actor when `instance` is set. */
export function webfingerDocument(peer: PeerIdentity, instance: boolean): JsonObject {
  if (instance) {
    return {
      subject: `acct:${peer.domain}@${peer.domain}`,
      aliases: [`${peer.origin}/actor`],
      links: [
        {
          rel: 'http://webfinger.net/rel/profile-page',
          type: 'text/html',
          href: `${peer.origin}/about/more?instance_actor=true`,
        },
        { rel: 'self', type: ACTIVITY_JSON, href: `${peer.origin}/actor` },
        {
          rel: 'http://ostatus.org/schema/1.0/subscribe',
          template: `${peer.origin}/authorize_interaction?uri={uri}`,
        },
      ],
    };
  }
  return {
    subject: `acct:${peer.username}@${peer.domain}`,
    aliases: [`${peer.origin}/@${peer.username}`, peer.actorUrl],
    links: [
      {
        rel: 'http://webfinger.net/rel/profile-page',
        type: 'text/html',
        href: `${peer.origin}/@${peer.username}`,
      },
      { rel: 'self', type: ACTIVITY_JSON, href: peer.actorUrl },
      {
        rel: 'http://ostatus.org/schema/1.0/subscribe',
        template: `${peer.origin}/authorize_interaction?uri={uri}`,
      },
    ],
  };
}

/** An OrderedCollection with its items inline (Mastodon pages them; tests don't need that). */
export function orderedCollection(id: string, items: readonly unknown[]): JsonObject {
  return {
    '@context': AS_CONTEXT,
    id,
    type: 'OrderedCollection',
    totalItems: items.length,
    orderedItems: [...items],
  };
}

/** A Follow as Mastodon sends it: `id` is the origin plus a UUID. */
export function followActivity(origin: string, actor: string, object: string): JsonObject {
  return {
    '@context': AS_CONTEXT,
    id: `${origin}/${randomUUID()}`,
    type: 'Follow',
    actor,
    object,
  };
}

/** The embedded form of an activity (without its `@context`). */
export function embedded(activity: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(activity).filter(([key]) => key !== '@context'));
}

/** Undo(Follow), id `…/users/alice#follows/N/undo`, with the Follow embedded. */
export function undoFollowActivity(actor: string, follow: JsonObject, n: number): JsonObject {
  return {
    '@context': AS_CONTEXT,
    id: `${actor}#follows/${n}/undo`,
    type: 'Undo',
    actor,
    object: embedded(follow),
  };
}

/** Accept(Follow), id `…/users/alice#accepts/follows/N`, with the Follow embedded. */
export function acceptFollowActivity(actor: string, follow: JsonObject, n: number): JsonObject {
  return {
    '@context': AS_CONTEXT,
    id: `${actor}#accepts/follows/${n}`,
    type: 'Accept',
    actor,
    object: {
      id: follow.id,
      type: 'Follow',
      actor: follow.actor,
      object: follow.object,
    },
  };
}

/** Options of {@link noteDocuments}. */
export interface NoteOptions {
  /** HTML content; Mastodon wraps text in `<p>`. */
  readonly content: string;
  readonly inReplyTo?: string;
  /** Extra recipients (e.g. the replied-to author), put in `cc` with a Mention tag each. */
  readonly mentions?: readonly { readonly href: string; readonly name: string }[];
  /** `public` (default): to Public, cc followers. `unlisted`: swapped. `followers`: only followers. */
  readonly visibility?: 'public' | 'unlisted' | 'followers';
  readonly language?: string;
  readonly sensitive?: boolean;
  readonly summary?: string | null;
}

/** A Mastodon status (`Note`) and the `Create` that delivers it; ids use status number `n`. */
export function noteDocuments(
  peer: PeerIdentity,
  n: number,
  options: NoteOptions,
): { note: JsonObject; create: JsonObject } {
  const id = `${peer.actorUrl}/statuses/${n}`;
  const followers = `${peer.actorUrl}/followers`;
  const mentions = options.mentions ?? [];
  const visibility = options.visibility ?? 'public';
  const to =
    visibility === 'public' ? [PUBLIC] : visibility === 'unlisted' ? [followers] : [followers];
  const cc = [
    ...(visibility === 'public' ? [followers] : visibility === 'unlisted' ? [PUBLIC] : []),
    ...mentions.map((m) => m.href),
  ];
  const published = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const language = options.language ?? 'en';
  const note: JsonObject = {
    id,
    type: 'Note',
    summary: options.summary ?? null,
    inReplyTo: options.inReplyTo ?? null,
    published,
    url: `${peer.origin}/@${peer.username}/${n}`,
    attributedTo: peer.actorUrl,
    to,
    cc,
    sensitive: options.sensitive ?? false,
    atomUri: id,
    inReplyToAtomUri: options.inReplyTo ?? null,
    conversation: `tag:${peer.domain},2024:objectId=${n}:objectType=Conversation`,
    content: options.content,
    contentMap: { [language]: options.content },
    attachment: [],
    tag: mentions.map((m) => ({ type: 'Mention', href: m.href, name: m.name })),
    replies: {
      id: `${id}/replies`,
      type: 'Collection',
      first: {
        type: 'CollectionPage',
        next: `${id}/replies?only_other_accounts=true&page=true`,
        partOf: `${id}/replies`,
        items: [],
      },
    },
  };
  const create: JsonObject = {
    '@context': [AS_CONTEXT, NOTE_TERMS],
    id: `${id}/activity`,
    type: 'Create',
    actor: peer.actorUrl,
    published,
    to,
    cc,
    object: note,
  };
  return { note: { '@context': [AS_CONTEXT, NOTE_TERMS], ...note }, create };
}
