/**
 * draft-cavage-http-signatures (version 12), the scheme every fediverse server speaks: signing as
 * Mastodon does and verifying with Mastodon's rules.
 *
 * Signature header: `keyId="…",algorithm="rsa-sha256",headers="(request-target) host date
 * digest content-type",signature="base64"`. The signing string is one `name: value` line per
 * covered header, joined with `\n`; `(request-target)` is the lower-case method, a space, and the
 * path with the query.
 */
import type { KeyObject } from 'node:crypto';

import { type SignatureAlgorithm, algorithmForKey, signBytes, verifyBytes } from './algorithms.js';
import type { KeySource } from './keys.js';
import { type HttpMessage, digestMatches, fieldValue } from './message.js';
import { type Verdict, type VerifyPolicy, reject } from './verdict.js';

/** What Mastodon signs on an inbox POST. */
export const MASTODON_POST_HEADERS = [
  '(request-target)',
  'host',
  'date',
  'digest',
  'content-type',
] as const;

/** What Mastodon signs on a GET (it adds Accept before signing). */
export const MASTODON_GET_HEADERS = ['(request-target)', 'host', 'date', 'accept'] as const;

/** Input of {@link signCavage}. */
export interface CavageSignInput {
  readonly method: string;
  /** Path and query as they go into `(request-target)`. */
  readonly requestTarget: string;
  /** Header values to sign, by any-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** Covered headers in order, lower case; pseudo-headers in parentheses. */
  readonly signedHeaders: readonly string[];
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** The `algorithm` parameter; `rsa-sha256` by default, `null` leaves it out. */
  readonly algorithm?: string | null;
  /** `created` / `expires` parameters (hs2019), in seconds. */
  readonly created?: number;
  readonly expires?: number;
}

/** A produced signature. */
export interface CavageSignature {
  /** The Signature header value. */
  readonly header: string;
  readonly signingString: string;
}

/** Signs a request draft-cavage style. */
export function signCavage(input: CavageSignInput): CavageSignature {
  const lower = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const lines = input.signedHeaders.map((name) => {
    switch (name) {
      case '(request-target)':
        return `${name}: ${input.method.toLowerCase()} ${input.requestTarget}`;
      case '(created)':
        return `${name}: ${String(input.created)}`;
      case '(expires)':
        return `${name}: ${String(input.expires)}`;
      default: {
        const value = lower.get(name);
        if (value === undefined) throw new Error(`cannot sign missing header ${name}`);
        return `${name}: ${value.trim()}`;
      }
    }
  });
  const signingString = lines.join('\n');
  const algorithm = algorithmForKey(input.privateKey) ?? 'rsa-v1_5-sha256';
  const signature = signBytes(algorithm, input.privateKey, signingString).toString('base64');
  const params: string[] = [`keyId="${input.keyId}"`];
  const algorithmParam = input.algorithm === undefined ? 'rsa-sha256' : input.algorithm;
  if (algorithmParam !== null) params.push(`algorithm="${algorithmParam}"`);
  if (input.created !== undefined) params.push(`created=${input.created}`);
  if (input.expires !== undefined) params.push(`expires=${input.expires}`);
  params.push(`headers="${input.signedHeaders.join(' ')}"`, `signature="${signature}"`);
  return { header: params.join(','), signingString };
}

/**
 * Parses a Signature header's parameters. Returns an error string for anything malformed,
 * including a parameter given twice (a classic confusion attack).
 */
export function parseCavageSignature(value: string): Map<string, string> | string {
  const params = new Map<string, string>();
  const pattern = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+))\s*(,|$)/y;
  let pos = 0;
  while (pos < value.length) {
    pattern.lastIndex = pos;
    const match = pattern.exec(value);
    if (!match) return `malformed Signature header at ${pos}`;
    const name = match[1] ?? '';
    if (params.has(name)) return `duplicate Signature parameter ${name}`;
    params.set(name, match[2]?.replace(/\\(.)/g, '$1') ?? match[3] ?? '');
    pos = pattern.lastIndex;
    if (match[4] === '' && pos < value.length) return 'malformed Signature header';
  }
  if (params.size === 0) return 'empty Signature header';
  return params;
}

/** Verifies a draft-cavage signature with Mastodon's requirements. */
export async function verifyCavage(
  message: HttpMessage,
  keys: KeySource,
  policy: VerifyPolicy,
): Promise<Verdict> {
  const header = fieldValue(message, 'signature');
  if (header === undefined) return reject('none', 'no Signature header');
  const params = parseCavageSignature(header);
  if (typeof params === 'string') return reject('draft-cavage', params);
  const keyId = params.get('keyId');
  const signature = params.get('signature');
  if (!keyId || !signature) return reject('draft-cavage', 'keyId and signature are required');
  const algorithm = params.get('algorithm') ?? 'hs2019';
  const covered = (params.get('headers') ?? (algorithm === 'hs2019' ? '(created)' : 'date'))
    .toLowerCase()
    .split(/\s+/)
    .filter((name) => name !== '');
  const details = { keyId, algorithm, covered };
  const fail = (reason: string, extra: Partial<Verdict> = {}) =>
    reject('draft-cavage', reason, { ...details, ...extra });

  if (algorithm !== 'rsa-sha256' && algorithm !== 'hs2019') {
    return fail(`unsupported algorithm ${algorithm}`);
  }
  if (!covered.includes('(request-target)')) return fail('(request-target) is not signed');
  if (!covered.includes('date') && !covered.includes('(created)')) {
    return fail('neither date nor (created) is signed');
  }
  if (message.method === 'GET' && !covered.includes('host')) return fail('GET without signed host');
  if (message.method === 'POST' && !covered.includes('digest')) {
    return fail('POST without signed digest');
  }

  const timeProblem = checkTime(message, params, covered, algorithm, policy);
  if (timeProblem) return fail(timeProblem);

  if (covered.includes('digest')) {
    const digestProblem = checkDigest(message);
    if (digestProblem) return fail(digestProblem);
  }

  const withQuery = signingString(message, params, covered, true);
  if (typeof withQuery !== 'string') return fail(withQuery.error);
  const candidates: { target: 'path-and-query' | 'path-only'; text: string }[] = [
    { target: 'path-and-query', text: withQuery },
  ];
  if (policy.acceptPathOnlyRequestTarget && message.requestTarget.includes('?')) {
    const pathOnly = signingString(message, params, covered, false);
    if (typeof pathOnly === 'string') candidates.push({ target: 'path-only', text: pathOnly });
  }
  const signatureBytes = Buffer.from(signature, 'base64');

  let keyRefetched = false;
  for (const refresh of [false, true]) {
    const lookup = await keys.resolve(keyId, refresh);
    if (!lookup.ok) return fail(lookup.reason, { keyRefetched });
    const key = lookup.key;
    const keyAlgorithm: SignatureAlgorithm | undefined =
      algorithm === 'rsa-sha256' ? 'rsa-v1_5-sha256' : algorithmForKey(key.publicKey);
    if (keyAlgorithm !== undefined) {
      for (const candidate of candidates) {
        if (verifyBytes(keyAlgorithm, key.publicKey, candidate.text, signatureBytes)) {
          return {
            ok: true,
            scheme: 'draft-cavage',
            ...details,
            owner: key.owner,
            requestTarget: candidate.target,
            signedString: candidate.text,
            keyRefetched,
          };
        }
      }
    }
    if (!lookup.cached) break;
    keyRefetched = true;
  }
  return fail('signature does not verify', { signedString: withQuery, keyRefetched });
}

function checkTime(
  message: HttpMessage,
  params: ReadonlyMap<string, string>,
  covered: readonly string[],
  algorithm: string,
  policy: VerifyPolicy,
): string | undefined {
  const now = policy.now().getTime();
  let created: number;
  const createdParam = params.get('created');
  if (covered.includes('(created)')) {
    if (algorithm !== 'hs2019') return '(created) is only valid with hs2019';
    if (createdParam === undefined)
      return '(created) is signed but the created parameter is missing';
    created = Number(createdParam) * 1000;
  } else {
    const date = fieldValue(message, 'date');
    if (date === undefined) return 'no Date header';
    created = Date.parse(date);
    if (Number.isNaN(created)) return `invalid Date header ${JSON.stringify(date)}`;
  }
  if (created > now + policy.clockSkewMs) return 'signature date is in the future';
  if (created < now - policy.clockSkewMs) return 'signature date is too old';
  const expires = params.get('expires');
  if (expires !== undefined && Number(expires) * 1000 < now) return 'signature has expired';
  return undefined;
}

function checkDigest(message: HttpMessage): string | undefined {
  const header = fieldValue(message, 'digest');
  if (header === undefined) return 'digest is signed but there is no Digest header';
  const entries = header.split(',').map((entry) => {
    const at = entry.indexOf('=');
    return at < 0
      ? { algorithm: entry.trim().toLowerCase(), value: '' }
      : { algorithm: entry.slice(0, at).trim().toLowerCase(), value: entry.slice(at + 1).trim() };
  });
  const sha256 = entries.find((entry) => entry.algorithm === 'sha-256');
  if (!sha256) return `no SHA-256 in Digest (${entries.map((e) => e.algorithm).join(', ')})`;
  if (!/^[A-Za-z0-9+/]{43}=$/.test(sha256.value)) return 'Digest is not a base64 SHA-256';
  if (!digestMatches(Buffer.from(sha256.value, 'base64'), message.body)) {
    return 'Digest does not match the body';
  }
  return undefined;
}

function signingString(
  message: HttpMessage,
  params: ReadonlyMap<string, string>,
  covered: readonly string[],
  withQuery: boolean,
): string | { error: string } {
  const lines: string[] = [];
  for (const name of covered) {
    if (name === '(request-target)') {
      const target = withQuery ? message.requestTarget : message.requestTarget.split('?')[0];
      lines.push(`${name}: ${message.method.toLowerCase()} ${target ?? ''}`);
    } else if (name === '(created)' || name === '(expires)') {
      const value = params.get(name.slice(1, -1));
      if (value === undefined) return { error: `${name} is signed but has no parameter` };
      lines.push(`${name}: ${value}`);
    } else {
      const value = fieldValue(message, name);
      if (value === undefined) return { error: `signed header ${name} is missing` };
      lines.push(`${name}: ${value}`);
    }
  }
  return lines.join('\n');
}
