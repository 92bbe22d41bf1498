/**
 * Random JSON values and strings for fuzzing ActivityPub bodies: wrong types, unicode edge cases,
 * long strings. Every URL they contain points at a host that cannot leave the machine: the given
 * loopback origins, or `.invalid` / `.example` names (RFC 2606), which fail fast in DNS.
 */
import type { Prng } from './prng.js';

/** Strings that break naive handling of text: control, bidi, zero-width, surrogates, combining. */
export const UNICODE_EDGES: readonly string[] = [
  '\u0000',
  '\u0007\u001b[31m',
  '\u202e\u2066evil\u2069',
  '\u200b\u200c\u200d\u2060\ufeff',
  '\ud800', // lone high surrogate (JSON.stringify escapes it)
  '\udfff', // lone low surrogate
  '\ud83d\ude00\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67',
  'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301',
  '\u0130\u0131\u00df\ufb03',
  '\uffff\ufffe\ufffd',
  '\u2028\u2029',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '%00%2e%2e%2f',
  '../../../../etc/passwd',
  '${jndi:ldap://x.invalid/a}',
  '{{7*7}}',
  '\\u0000\\ud800',
  '𝕳𝖊𝖑𝖑𝖔',
  'ﷺ﷽',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
];

/** A short random string mixing ASCII, edge cases and random code points. */
export function randomString(rng: Prng, maxLength = 40): string {
  const parts: string[] = [];
  const length = rng.int(0, maxLength);
  let size = 0;
  while (size < length) {
    const roll = rng.int(0, 9);
    let part: string;
    if (roll < 5) part = String.fromCharCode(rng.int(0x20, 0x7e));
    else if (roll < 7) part = rng.pick(UNICODE_EDGES);
    else if (roll < 9) part = String.fromCodePoint(rng.int(0xa0, 0x2fff));
    else part = String.fromCodePoint(rng.int(0x10000, 0x10ffff));
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}

/** Numbers JSON can carry that code expecting strings or small integers trips on. */
export const ODD_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 53 + 1,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
  123456789012345680000,
];

/** URLs a hostile body may name; all stay on loopback peers or reserved names. */
export function randomUrl(rng: Prng, origins: readonly string[]): string {
  const origin = rng.pick(origins);
  switch (rng.int(0, 9)) {
    case 0:
      return `https://${randomLabel(rng)}.invalid/${randomLabel(rng)}`;
    case 1:
      return `https://${randomLabel(rng)}.example/users/${randomLabel(rng)}`;
    case 2:
      return `http://[::1]:1/${randomLabel(rng)}`;
    case 3:
      return `ftp://files.invalid/${randomLabel(rng)}`;
    case 4:
      return `data:application/activity+json,{"type":"Note"}`;
    case 5:
      return `javascript:alert(${rng.int(0, 9)})`;
    case 6:
      return `${origin}/${encodeURIComponent(randomString(rng, 12).replace(/[\ud800-\udfff]/g, '?'))}`;
    case 7:
      return `urn:uuid:${rng.next().toString(16)}`;
    default:
      return `${origin}/fuzz/${rng.next().toString(36)}`;
  }
}

/** A lower-case DNS label. */
export function randomLabel(rng: Prng): string {
  return rng.next().toString(36);
}

/** Any JSON value, nested at most `depth` levels; keys include ActivityPub names. */
export function randomValue(rng: Prng, origins: readonly string[], depth = 3): unknown {
  const roll = rng.int(0, depth <= 0 ? 5 : 8);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(ODD_NUMBERS);
    case 3:
      return randomString(rng);
    case 4:
    case 5:
      return randomUrl(rng, origins);
    case 6: {
      const items: unknown[] = [];
      for (let i = rng.int(0, 4); i > 0; i--) items.push(randomValue(rng, origins, depth - 1));
      return items;
    }
    default: {
      const object: Record<string, unknown> = {};
      for (let i = rng.int(0, 5); i > 0; i--) {
        const key = rng.chance(0.7) ? rng.pick(AP_KEYS) : randomString(rng, 10);
        object[key] = randomValue(rng, origins, depth - 1);
      }
      return object;
    }
  }
}

/** Property names the bridge reads somewhere. */
export const AP_KEYS: readonly string[] = [
  '@context',
  '@id',
  '@type',
  '@graph',
  '@reverse',
  '@included',
  'id',
  'type',
  'actor',
  'object',
  'target',
  'origin',
  'to',
  'cc',
  'bto',
  'bcc',
  'audience',
  'inReplyTo',
  'content',
  'contentMap',
  'summary',
  'name',
  'url',
  'href',
  'tag',
  'attachment',
  'attributedTo',
  'published',
  'updated',
  'sensitive',
  'mediaType',
  'source',
  'context',
  'conversation',
  'quoteUrl',
  '_misskey_content',
  'replies',
  'preferredUsername',
  'inbox',
  'publicKey',
  'signature',
  'proof',
];
