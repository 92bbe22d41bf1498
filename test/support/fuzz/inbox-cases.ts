/**
 * Generates hostile inbox requests, one per index, reproducibly: case `i` of seed `s` depends on
 * nothing else, so one failing case is replayed with `buildInboxCase(s, i, targets)` alone.
 *
 * Mix (by weight): 50 % validly signed by a real peer with random activity bodies, 20 % badly
 * signed, 15 % unsigned, 15 % malformed (wrong content types, non-JSON, empty or truncated
 * bodies, wrong methods, bad paths, bogus encodings). A few bodies in every family are over the
 * 1 MiB inbox cap.
 */
import { type KeyObject } from 'node:crypto';

import { buildSignedRequest, type SignedRequestOptions } from '../remote-peer/client.js';
import { MASTODON_POST_HEADERS, signCavage } from '../remote-peer/cavage.js';
import { sha256Base64 } from '../remote-peer/message.js';
import { Prng } from './prng.js';
import { AP_KEYS, UNICODE_EDGES, randomString, randomUrl, randomValue } from './values.js';

/** The bridge's inbox cap (Mastodon's): bodies above it must get 413 before parsing. */
export const INBOX_BODY_CAP = 1024 * 1024;

const AS = 'https://www.w3.org/ns/activitystreams';
const PUBLIC = `${AS}#Public`;

/** What the generator aims at and signs with. */
export interface FuzzTargets {
  /** Inbox URLs of the bridge: the shared one and personal ones. */
  readonly inboxes: readonly string[];
  /** Our real article (a reply target). */
  readonly articleUri: string;
  /** Actor URLs of the bridge (Follow targets). */
  readonly localActors: readonly string[];
  /** The signing peer. */
  readonly peer: {
    readonly origin: string;
    readonly actorUrl: string;
    readonly keyId: string;
    readonly privateKey: KeyObject;
  };
  /** A key the peer's actor does not publish. */
  readonly strangerKey: KeyObject;
}

/** Families of requests. */
export type CaseFamily = 'signed' | 'bad-signature' | 'unsigned' | 'malformed';

/** One request to send. */
export interface InboxCase {
  readonly index: number;
  readonly family: CaseFamily;
  /** Short human description: family, shape and mutation. */
  readonly description: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** `undefined` for requests without a body. */
  readonly body: Buffer | undefined;
  /** Bigger than {@link INBOX_BODY_CAP}. */
  readonly oversized: boolean;
  /**
   * 5xx statuses this case may legitimately get. Only a keyId on a host that cannot be reached
   * does: the bridge answers 503 so that a real sender retries (INTEROP.md checklist item 13).
   */
  readonly allowed5xx: readonly number[];
}

const FAMILY_WEIGHTS: Record<CaseFamily, number> = {
  signed: 50,
  'bad-signature': 20,
  unsigned: 15,
  malformed: 15,
};

const ACTIVITY_TYPES: readonly unknown[] = [
  'Create',
  'Update',
  'Delete',
  'Like',
  'EmojiReact',
  'Announce',
  'Follow',
  'Undo',
  'Flag',
  'Move',
  'Block',
  'Accept',
  'Reject',
  'Add',
  'Remove',
  'Question',
  'Note',
  'Article',
  'Person',
  'Tombstone',
  'Frobnicate',
  'as:Create',
  'https://www.w3.org/ns/activitystreams#Create',
  'create',
  '',
  ['Create', 'Update'],
  ['Frobnicate'],
  42,
  null,
  { type: 'Create' },
];

/** A random activity body as text, with a description of its shape. */
interface Body {
  readonly text: string;
  readonly shape: string;
}

/** Builds case `index` of `seed`. */
export function buildInboxCase(seed: number, index: number, targets: FuzzTargets): InboxCase {
  const rng = new Prng(seed, index);
  const family = rng.weighted(FAMILY_WEIGHTS);
  const url = rng.pick(targets.inboxes);
  switch (family) {
    case 'signed':
      return signedCase(rng, index, url, targets);
    case 'bad-signature':
      return badSignatureCase(rng, index, url, targets);
    case 'unsigned':
      return unsignedCase(rng, index, url, targets);
    case 'malformed':
      return malformedCase(rng, index, url, targets);
  }
}

function origins(targets: FuzzTargets): string[] {
  return [targets.peer.origin, new URL(targets.articleUri).origin];
}

function make(
  index: number,
  family: CaseFamily,
  description: string,
  request: { method: string; url: string; headers: Record<string, string>; body?: Buffer },
  allowed5xx: readonly number[] = [],
): InboxCase {
  return {
    index,
    family,
    description: `${family}: ${description}`,
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, headerSafe(value)]),
    ),
    body: request.body,
    oversized: (request.body?.length ?? 0) > INBOX_BODY_CAP,
    allowed5xx,
  };
}

/**
 * A header value Node will send: what HTTP forbids (controls, code points above U+00FF) becomes
 * `?`. Such values never reach a server through a conforming client or proxy anyway.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** Signs like Mastodon (draft-cavage) and sends `text` unchanged. */
function signed(
  targets: FuzzTargets,
  url: string,
  text: string,
  options: SignedRequestOptions = {},
): { method: string; url: string; headers: Record<string, string>; body: Buffer } {
  const identity = { keyId: targets.peer.keyId, privateKey: targets.peer.privateKey };
  const built = buildSignedRequest(identity, 'POST', url, text, options);
  return {
    method: 'POST',
    url: built.url,
    headers: { ...built.headers },
    body: Buffer.from(built.body),
  };
}

/** Signs arbitrary bytes (possibly not UTF-8) with any content type, draft-cavage. */
function signedBytes(
  targets: FuzzTargets,
  url: string,
  body: Buffer,
  contentType: string | null,
): { method: string; url: string; headers: Record<string, string>; body: Buffer } {
  const target = new URL(url);
  const headers: Record<string, string> = {
    host: target.host,
    date: new Date().toUTCString(),
    digest: `SHA-256=${sha256Base64(body)}`,
  };
  if (contentType !== null) headers['content-type'] = contentType;
  headers.signature = signCavage({
    method: 'POST',
    requestTarget: target.pathname + target.search,
    headers,
    signedHeaders: MASTODON_POST_HEADERS.filter(
      (h) => contentType !== null || h !== 'content-type',
    ),
    keyId: targets.peer.keyId,
    privateKey: targets.peer.privateKey,
  }).header;
  return { method: 'POST', url, headers, body };
}

// ---- bodies ----

function context(rng: Prng, targets: FuzzTargets): { value: unknown; name: string } {
  // Half plain ActivityStreams, so that most signed bodies reach the activity handlers.
  if (rng.chance(0.5)) return { value: AS, name: 'AS ctx' };
  switch (rng.int(0, 11)) {
    case 0:
      return { value: undefined, name: 'no @context' };
    case 1:
      return { value: [AS, 'https://w3id.org/security/v1'], name: 'AS+security' };
    case 2:
      return { value: `https://${rng.next().toString(36)}.invalid/ctx`, name: 'unknown ctx URL' };
    case 3:
      return { value: `${targets.peer.origin}/contexts/none`, name: 'ctx URL 404 on peer' };
    case 4:
      return {
        value: [AS, { '@vocab': 'http://vocab.example/#', Hashtag: 'as:Hashtag' }],
        name: 'inline ctx',
      };
    case 5:
      return {
        value: [AS, { id: '@type', type: '@id', object: { '@id': 'as:actor', '@type': '@id' } }],
        name: 'ctx redefining keywords',
      };
    case 6:
      return {
        value: [AS, { '@protected': true, Note: 'http://evil.example/Note' }],
        name: 'ctx protected clash',
      };
    case 7:
      return {
        value: rng.pick([42, null, true, {}, [], [null], [[AS]]]),
        name: 'ctx of a wrong type',
      };
    case 8:
      return { value: [AS, { '@import': 'https://x.invalid/imp' }], name: 'ctx @import' };
    default:
      return { value: AS, name: 'AS ctx' };
  }
}

function replyTarget(rng: Prng, targets: FuzzTargets): unknown {
  const ours = targets.articleUri;
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return ours;
    case 3:
      return `${ours}${rng.pick(['?x=1', '#frag', '/', '/../..', '%00', '%2F..', '\u0000', '/replies'])}`;
    case 4:
      return `${ours.replace(/\/[^/]+$/, '/')}${rng.pick(['nope', '', '..', randomString(rng, 20)])}`;
    case 5:
      return [ours, randomUrl(rng, origins(targets))];
    case 6:
      return { id: ours, type: 'Article' };
    case 7:
      return rng.pick([null, 7, true, '', {}]);
    default:
      return randomUrl(rng, origins(targets));
  }
}

/** A reply-shaped object; with `junk`, any field may hold a value of the wrong kind. */
function note(
  rng: Prng,
  targets: FuzzTargets,
  index: number,
  junk: boolean,
): Record<string, unknown> {
  if (!junk) {
    return {
      id: `${targets.peer.actorUrl}/statuses/fuzz-${index}`,
      type: rng.pick(['Note', 'Note', 'Note', 'Article', 'Page']),
      attributedTo: targets.peer.actorUrl,
      inReplyTo: replyTarget(rng, targets),
      content: `<p>${randomString(rng, 200)}</p>`,
      to: [PUBLIC],
      cc: [rng.pick(targets.localActors)],
      published: '2026-11-20T10:00:00Z',
    };
  }
  const out: Record<string, unknown> = {
    id: rng.chance(0.9)
      ? `${targets.peer.actorUrl}/statuses/fuzz-${index}`
      : randomUrl(rng, origins(targets)),
    type: rng.pick([
      'Note',
      'Note',
      'Article',
      'Page',
      'Question',
      'Image',
      'Tombstone',
      'Frob',
      7,
    ]),
    attributedTo: rng.chance(0.85) ? targets.peer.actorUrl : randomValue(rng, origins(targets), 1),
    inReplyTo: replyTarget(rng, targets),
    content: rng.chance(0.8)
      ? `<p>${randomString(rng, 200)}</p>`
      : randomValue(rng, origins(targets), 1),
    to: rng.chance(0.7) ? [PUBLIC] : randomValue(rng, origins(targets), 1),
    published: rng.pick(['2026-11-20T10:00:00Z', 'yesterday', 0, '9999-99-99T99:99:99Z', null]),
  };
  for (let i = rng.int(0, 3); i > 0; i--) {
    out[rng.pick(AP_KEYS)] = randomValue(rng, origins(targets), 2);
  }
  return out;
}

function objectFor(rng: Prng, targets: FuzzTargets, index: number, junk: boolean): unknown {
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return note(rng, targets, index, junk);
    case 3:
      return rng.pick(targets.localActors);
    case 4:
      return targets.articleUri;
    case 5:
      return targets.peer.actorUrl;
    case 6:
      return [note(rng, targets, index, junk), randomValue(rng, origins(targets), 2)];
    case 7:
      return {
        type: 'Follow',
        id: `${rng.pick(targets.localActors)}#follow-${index}`,
        actor: rng.pick(targets.localActors),
        object: targets.peer.actorUrl,
      };
    default:
      return junk ? randomValue(rng, origins(targets), 3) : note(rng, targets, index, false);
  }
}

/** Types a real server sends, for plausible activities. */
const PLAUSIBLE_TYPES: readonly string[] = [
  'Create',
  'Create',
  'Create',
  'Update',
  'Delete',
  'Like',
  'Announce',
  'Follow',
  'Undo',
  'Flag',
  'Move',
  'Block',
  'Accept',
  'Reject',
  'EmojiReact',
];

/**
 * An activity signed for by the peer. Plausible ones (`junk` false) are well-formed, so they
 * reach the activity handlers; junk ones have values of any kind anywhere.
 */
function randomActivity(
  rng: Prng,
  targets: FuzzTargets,
  index: number,
  junk = true,
): { value: Record<string, unknown>; shape: string } {
  if (!junk) {
    const type = rng.pick(PLAUSIBLE_TYPES);
    const value: Record<string, unknown> = {
      '@context': AS,
      id: `${targets.peer.actorUrl}/activities/fuzz-${index}`,
      type,
      actor: targets.peer.actorUrl,
      object: objectFor(rng, targets, index, false),
      to: [PUBLIC],
    };
    if (type === 'Move') value.target = randomUrl(rng, origins(targets));
    return { value, shape: `${type} (AS ctx)` };
  }
  const ctx = context(rng, targets);
  const type = rng.pick(ACTIVITY_TYPES);
  const activity: Record<string, unknown> = {};
  if (ctx.value !== undefined) activity['@context'] = ctx.value;
  activity.id = rng.chance(0.9)
    ? `${targets.peer.actorUrl}/activities/fuzz-${index}`
    : randomValue(rng, origins(targets), 1);
  activity.type = type;
  activity.actor = rng.chance(0.85)
    ? targets.peer.actorUrl
    : rng.pick<unknown>([
        { id: targets.peer.actorUrl, type: 'Person' },
        [targets.peer.actorUrl],
        rng.pick(targets.localActors),
        randomUrl(rng, origins(targets)),
        null,
        17,
      ]);
  activity.object = objectFor(rng, targets, index, true);
  if (rng.chance(0.5)) activity.to = [PUBLIC];
  if (rng.chance(0.3)) activity.cc = [rng.pick(targets.localActors)];
  if (type === 'Move' || rng.chance(0.05)) activity.target = randomUrl(rng, origins(targets));
  for (let i = rng.int(0, 2); i > 0; i--) {
    activity[rng.pick(AP_KEYS)] = randomValue(rng, origins(targets), 2);
  }
  return { value: activity, shape: `${JSON.stringify(type)} (${ctx.name})` };
}

type Shape =
  | 'plausible'
  | 'random'
  | 'wrong-types'
  | 'huge-array'
  | 'deep-nesting'
  | 'long-strings'
  | 'unicode'
  | 'duplicate-keys'
  | 'not-an-object'
  | 'oversized';

const SHAPE_WEIGHTS: Record<Shape, number> = {
  plausible: 30,
  random: 25,
  'wrong-types': 12,
  // Bodies of ~1 MiB are rare on purpose: each costs the service ~1 s of JSON-LD expansion.
  'huge-array': 1,
  'deep-nesting': 2,
  'long-strings': 1.5,
  unicode: 10,
  'duplicate-keys': 6,
  'not-an-object': 4,
  oversized: 0.4,
};

/** A nested value `levels` deep, built iteratively (no recursion in the generator). */
function nested(levels: number, kind: 'object' | 'array' | 'object-key'): string {
  // Built as text: JSON.stringify itself would recurse `levels` deep.
  switch (kind) {
    case 'object':
      return `${'{"type":"Note","object":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
    case 'array':
      return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    case 'object-key':
      return `${'{"inReplyTo":'.repeat(levels)}null${'}'.repeat(levels)}`;
  }
}

function activityBody(rng: Prng, targets: FuzzTargets, index: number): Body {
  const shape = rng.weighted(SHAPE_WEIGHTS);
  const base = randomActivity(rng, targets, index, shape !== 'plausible');
  const activity = base.value;
  const label = `${shape} ${base.shape}`;
  switch (shape) {
    case 'plausible':
    case 'random':
      return { text: JSON.stringify(activity), shape: label };
    case 'wrong-types': {
      for (const key of ['id', 'type', 'actor', 'object', 'to', 'cc', 'published', 'content']) {
        if (rng.chance(0.4))
          activity[key] = rng.pick<unknown>([
            1,
            -1.5,
            1e308,
            true,
            false,
            null,
            [],
            {},
            [[]],
            [1, 2],
          ]);
      }
      const object = activity.object;
      if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
        const o = object as Record<string, unknown>;
        for (const key of [
          'id',
          'inReplyTo',
          'content',
          'attributedTo',
          'tag',
          'attachment',
          'url',
          'sensitive',
          'contentMap',
        ]) {
          if (rng.chance(0.4))
            o[key] = rng.pick<unknown>([
              0,
              2 ** 53 + 1,
              'true',
              true,
              {},
              [null],
              { '@value': 1 },
              { href: 7 },
            ]);
        }
      }
      return { text: JSON.stringify(activity), shape: label };
    }
    case 'huge-array': {
      const field = rng.pick(['to', 'cc', 'tag', 'attachment', 'object', 'inReplyTo', 'url']);
      const count = rng.pick([1_000, 10_000, 10_000, 30_000]);
      const item = (i: number): unknown => {
        switch (field) {
          case 'tag':
            return {
              type: rng.chance(0.5) ? 'Mention' : 'Hashtag',
              href: `https://h${i}.invalid/u`,
              name: `#t${i}`,
            };
          case 'attachment':
            return {
              type: 'Image',
              url: `https://m${i}.invalid/i.png`,
              mediaType: 'image/png',
              name: `a${i}`,
            };
          default:
            return `https://a${i}.invalid/u/${i}`;
        }
      };
      const items: unknown[] = [];
      for (let i = 0; i < count; i++) items.push(item(i));
      const object = activity.object;
      if (
        rng.chance(0.5) &&
        typeof object === 'object' &&
        object !== null &&
        !Array.isArray(object)
      ) {
        (object as Record<string, unknown>)[field] = items;
      } else {
        activity[field] = items;
      }
      return { text: trimToCap(JSON.stringify(activity)), shape: `${label} ${field}×${count}` };
    }
    case 'deep-nesting': {
      const levels = rng.pick([100, 1_000, 1_000, 5_000, 20_000]);
      const kind = rng.pick(['object', 'array', 'object-key'] as const);
      const field = rng.pick(['object', 'tag', 'inReplyTo', 'to', 'content', '@context']);
      const text = JSON.stringify({ ...activity, [field]: '__NESTED__' }).replace(
        '"__NESTED__"',
        nested(levels, kind),
      );
      return { text, shape: `${label} ${field} ${kind}×${levels}` };
    }
    case 'long-strings': {
      const length = rng.pick([10_000, 100_000, 500_000, 1_000_000]);
      const field = rng.pick([
        'content',
        'summary',
        'name',
        'id',
        'actor',
        'inReplyTo',
        'type',
        'url',
      ]);
      const text = JSON.stringify({
        ...activity,
        [field]: rng.pick(['a', 'é', '😀', '<b>', ' ']).repeat(length / 4),
      });
      return {
        text: text.length > INBOX_BODY_CAP - 1024 ? JSON.stringify(activity) : text,
        shape: `${label} ${field} ~${length / 4} chars`,
      };
    }
    case 'unicode': {
      const object = activity.object;
      const edge = (): string =>
        `${rng.pick(UNICODE_EDGES)}${randomString(rng, 30)}${rng.pick(UNICODE_EDGES)}`;
      if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
        const o = object as Record<string, unknown>;
        o.content = edge();
        o.name = edge();
        o.contentMap = { [edge()]: edge(), 'zh-Hant-TW-x-\u0000': edge() };
      }
      activity[edge()] = edge();
      if (rng.chance(0.3)) activity.id = `${targets.peer.actorUrl}/${edge()}`;
      let text = JSON.stringify(activity);
      if (rng.chance(0.3)) text = `\ufeff${text}`;
      if (rng.chance(0.2)) text = text.replace(/"content":"/, '"content":"\\ud800\\u0000');
      return { text, shape: label };
    }
    case 'duplicate-keys': {
      const text = JSON.stringify(activity);
      const dup = rng.pick([
        `"type":${JSON.stringify(rng.pick(ACTIVITY_TYPES))},`,
        `"actor":"https://someone.invalid/u",`,
        `"id":${JSON.stringify(targets.articleUri)},`,
        `"object":${JSON.stringify(targets.articleUri)},`,
        `"@context":"https://x.invalid/ctx",`,
      ]);
      return {
        text: rng.chance(0.5)
          ? `{${dup}${text.slice(1)}`
          : `${text.slice(0, -1)},${dup.slice(0, -1)}}`,
        shape: `${label} dup ${dup.slice(0, 12)}`,
      };
    }
    case 'not-an-object': {
      const top = rng.pick<unknown>([
        [activity],
        [activity, activity],
        'Create',
        42,
        null,
        true,
        [],
        {},
        [[[]]],
      ]);
      return { text: JSON.stringify(top), shape: `${shape} ${JSON.stringify(top).slice(0, 30)}` };
    }
    case 'oversized': {
      const pad = INBOX_BODY_CAP + rng.int(1, 512 * 1024);
      return {
        text: JSON.stringify({ ...activity, pad: 'x'.repeat(pad) }),
        shape: `${label} ${pad} B pad`,
      };
    }
  }
}

/** Keeps a huge-array body under the cap by dropping the tail of its items. */
function trimToCap(text: string): string {
  if (text.length <= INBOX_BODY_CAP - 1024) return text;
  let value = JSON.parse(text) as Record<string, unknown>;
  for (let i = 0; i < 8 && JSON.stringify(value).length > INBOX_BODY_CAP - 1024; i++) {
    value = halveArrays(value);
  }
  return JSON.stringify(value);
}

function halveArrays(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length > 100) out[key] = v.slice(0, Math.floor(v.length / 2));
    else if (typeof v === 'object' && v !== null && !Array.isArray(v))
      out[key] = halveArrays(v as Record<string, unknown>);
    else out[key] = v;
  }
  return out;
}

// ---- families ----

function signedCase(rng: Prng, index: number, url: string, targets: FuzzTargets): InboxCase {
  const body = activityBody(rng, targets, index);
  return make(index, 'signed', body.shape, signed(targets, url, body.text));
}

/**
 * A body signed wrongly. A few mutations leave the signature itself valid and may be accepted:
 * an extra unknown parameter (`huge Signature`), an `algorithm` label that does not match the
 * key (Fedify verifies by the key's type), a Content-Encoding nobody signed.
 */
function badSignatureCase(rng: Prng, index: number, url: string, targets: FuzzTargets): InboxCase {
  const body = activityBody(rng, targets, index);
  const hour = 3600_000;
  const mutations: readonly [string, SignedRequestOptions, number[]?][] = [
    ['wrong key', { privateKey: targets.strangerKey }],
    [
      'tampered body',
      { tamperBody: (s) => (s.length > 2 ? `${s.slice(0, -2)} ${s.slice(-2)}` : `${s} `) },
    ],
    ['stale Date', { date: new Date(Date.now() - rng.pick([2, 13, 24 * 30]) * hour) }],
    ['future Date', { date: new Date(Date.now() + rng.pick([2, 24]) * hour) }],
    [
      'unparseable Date',
      { date: rng.pick(['yesterday', '', 'Thu, 31 Feb 2026 99:99:99 GMT', '0']) },
    ],
    ['digest not signed', { omitDigest: true }],
    ['no Digest header', { headers: { digest: null } }],
    [
      'Digest mismatch',
      { headers: { digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' } },
    ],
    [
      'malformed Digest',
      { headers: { digest: rng.pick(['SHA-256=', 'MD5=abc', '%%%', 'SHA-256=!!!!']) } },
    ],
    ['no Signature', { headers: { signature: null } }],
    ['garbage Signature', { mutateSignature: () => randomString(rng, 200) }],
    ['truncated Signature', { mutateSignature: (s) => s.slice(0, rng.int(0, s.length)) }],
    [
      'huge Signature',
      { mutateSignature: (s) => `${s},x="${'A'.repeat(rng.pick([4_000, 12_000]))}"` },
    ],
    [
      'duplicate keyId',
      {
        duplicateParameter: {
          name: 'keyId',
          value: 'https://x.invalid/k',
          position: rng.pick(['before', 'after'] as const),
        },
      },
    ],
    ['odd algorithm', { algorithm: rng.pick(['hmac-sha256', 'ed25519', 'none', '', null]) }],
    [
      'signature not base64',
      { mutateSignature: (s) => s.replace(/signature="[^"]*"/, 'signature="@@@@"') },
    ],
    ['keyId 404 on peer', { keyId: `${targets.peer.origin}/keys/missing-${index}` }],
    [
      'keyId not a URL',
      { keyId: rng.pick(['main-key', '', 'javascript:alert(1)', '\u202e', '../../etc']) },
    ],
    [
      'keyId on an unresolvable host',
      { keyId: `https://k${rng.next().toString(36)}.invalid/users/x#main-key` },
      [503],
    ],
    ['only date signed', { signedHeaders: ['date'] }],
    ['tampered path', { tamperPath: (p) => `${p}x` }],
    ['RFC 9421 with a wrong key', { spec: 'rfc9421', privateKey: targets.strangerKey }],
    [
      'RFC 9421 expired',
      {
        spec: 'rfc9421',
        rfc9421: {
          created: Math.floor(Date.now() / 1000) - 86400,
          expires: Math.floor(Date.now() / 1000) - 3600,
        },
      },
    ],
  ];
  const [name, options, allowed] = rng.pick(mutations);
  return make(
    index,
    'bad-signature',
    `${name}; ${body.shape}`,
    signed(targets, url, body.text, options),
    allowed,
  );
}

function unsignedCase(rng: Prng, index: number, url: string, targets: FuzzTargets): InboxCase {
  const body = activityBody(rng, targets, index);
  const bytes = Buffer.from(body.text);
  return make(index, 'unsigned', body.shape, {
    method: 'POST',
    url,
    headers: {
      'content-type': rng.pick([
        'application/activity+json',
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        'application/json',
      ]),
      date: new Date().toUTCString(),
    },
    body: bytes,
  });
}

const WRONG_TYPES: readonly (string | null)[] = [
  null,
  'text/plain',
  'text/html; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/octet-stream',
  'application/activity+json; charset=utf-16',
  'application/activity+jsonx',
  'APPLICATION/ACTIVITY+JSON',
  'application/ld+json; profile=',
  ';;;',
  '*/*',
  'application/json, text/plain',
];

function malformedCase(rng: Prng, index: number, url: string, targets: FuzzTargets): InboxCase {
  if (rng.chance(0.02)) {
    const body = Buffer.alloc(INBOX_BODY_CAP + rng.int(1, 200_000), 0x61);
    return make(index, 'malformed', 'oversized, wrong type', {
      method: 'POST',
      url,
      headers: { 'content-type': 'text/plain' },
      body,
    });
  }
  const valid = JSON.stringify(randomActivity(rng, targets, index).value);
  const kind = rng.pick([
    'wrong content type',
    'wrong content type, signed',
    'non-JSON',
    'non-JSON, signed',
    'invalid UTF-8, signed',
    'empty body',
    'empty body, signed',
    'truncated JSON',
    'truncated JSON, signed',
    'wrong method',
    'bad path',
    'query string',
    'bogus content-encoding',
    'chunked',
  ] as const);
  const json = 'application/activity+json';
  const post = (headers: Record<string, string>, body: Buffer, target = url) => ({
    method: 'POST',
    url: target,
    headers,
    body,
  });
  switch (kind) {
    case 'wrong content type':
    case 'wrong content type, signed': {
      const type = rng.pick(WRONG_TYPES);
      const body = Buffer.from(rng.chance(0.5) ? valid : `a=${encodeURIComponent(valid)}`);
      const request = kind.endsWith('signed')
        ? signedBytes(targets, url, body, type)
        : post(type === null ? {} : { 'content-type': type }, body);
      return make(index, 'malformed', `${kind} ${String(type)}`, request);
    }
    case 'non-JSON':
    case 'non-JSON, signed': {
      const text = rng.pick([
        '<?xml version="1.0"?><activity/>',
        'type=Create&actor=x',
        'undefined',
        'NaN',
        '{type: Create}',
        "{'type':'Create'}",
        '{"a":1}}',
        '{"a":1,}',
        '[1,]',
        '\u0000\u0000\u0000',
        ' \n\t ',
        '{"a":"\\x41"}',
        '{"a":"\\ud800"}',
        '0x1F',
        '1e999999',
        '-',
        '['.repeat(100_000),
        `{"@context":${'['.repeat(50_000)}`,
      ]);
      const request = kind.endsWith('signed')
        ? signedBytes(targets, url, Buffer.from(text), json)
        : post({ 'content-type': json }, Buffer.from(text));
      return make(index, 'malformed', `${kind} ${JSON.stringify(text.slice(0, 20))}`, request);
    }
    case 'invalid UTF-8, signed': {
      const bytes = Buffer.concat([
        Buffer.from('{"type":"Create","content":"'),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]);
      return make(index, 'malformed', kind, signedBytes(targets, url, bytes, json));
    }
    case 'empty body':
      return make(index, 'malformed', kind, post({ 'content-type': json }, Buffer.alloc(0)));
    case 'empty body, signed':
      return make(index, 'malformed', kind, signedBytes(targets, url, Buffer.alloc(0), json));
    case 'truncated JSON':
    case 'truncated JSON, signed': {
      const cut = Buffer.from(valid).subarray(
        0,
        rng.int(0, Math.max(0, Buffer.byteLength(valid) - 1)),
      );
      const request = kind.endsWith('signed')
        ? signedBytes(targets, url, cut, json)
        : post({ 'content-type': json }, cut);
      return make(index, 'malformed', `${kind} at ${cut.length}`, request);
    }
    case 'wrong method': {
      const method = rng.pick([
        'GET',
        'PUT',
        'DELETE',
        'PATCH',
        'OPTIONS',
        'HEAD',
        'PROPFIND',
        'TRACE',
      ]);
      const hasBody = !['GET', 'HEAD', 'TRACE', 'OPTIONS'].includes(method);
      return make(index, 'malformed', `${kind} ${method}`, {
        method,
        url,
        headers: hasBody ? { 'content-type': json } : { accept: json },
        ...(hasBody ? { body: Buffer.from(valid) } : {}),
      });
    }
    case 'bad path': {
      const origin = new URL(url).origin;
      const path = rng.pick([
        '/actors/does-not-exist/inbox',
        `/actors/${'a'.repeat(4000)}/inbox`,
        '/actors/%00/inbox',
        '/actors/%2e%2e/inbox',
        '/actors//inbox',
        '/actors/x/inbox/',
        '/inbox/',
        '/INBOX',
        '/actors/x/outbox',
        `/actors/${encodeURIComponent('\u202e\ud83d\ude00')}/inbox`,
      ]);
      return make(
        index,
        'malformed',
        `${kind} ${path.slice(0, 40)}`,
        signed(targets, `${origin}${path}`, valid),
      );
    }
    case 'query string':
      return make(
        index,
        'malformed',
        kind,
        signed(targets, `${url}?${rng.pick(['a=1', 'page=true', '%00', 'x'.repeat(2000)])}`, valid),
      );
    case 'bogus content-encoding': {
      const encoding = rng.pick(['gzip', 'deflate', 'br', 'zstd', 'identity, gzip', 'x-bogus']);
      const request = signed(targets, url, valid);
      return make(index, 'malformed', `${kind} ${encoding}`, {
        ...request,
        headers: { ...request.headers, 'content-encoding': encoding },
      });
    }
    case 'chunked': {
      const request = signed(targets, url, valid);
      return make(index, 'malformed', kind, {
        ...request,
        headers: { ...request.headers, 'transfer-encoding': 'chunked' },
      });
    }
  }
}
