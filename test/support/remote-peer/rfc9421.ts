/**
 * RFC 9421 HTTP Message Signatures: a signer (`signRfc9421`, usable by any test that needs an
 * RFC 9421 request) and a verifier with Mastodon's requirements (`created` present, `@method`
 * and `@target-uri` covered, `content-digest` covered on POST and matching the body).
 *
 * The signature base (§2.5) is one line per covered component, `"<identifier>": <value>`, then
 * `"@signature-params": <inner list with parameters>`, joined with `\n` and no trailing newline.
 */
import type { KeyObject } from 'node:crypto';

import {
  type SignatureAlgorithm,
  algorithmForKey,
  isSignatureAlgorithm,
  keyFitsAlgorithm,
  signBytes,
  verifyBytes,
} from './algorithms.js';
import type { KeySource } from './keys.js';
import {
  type HttpMessage,
  digestMatches,
  fieldValue,
  fieldsFromRecord,
  sha256Base64,
} from './message.js';
import {
  SfError,
  type SfInnerList,
  type SfItem,
  type SfParams,
  isInnerList,
  parseDictionary,
  serializeBareItem,
  serializeInnerList,
  serializeItem,
} from './structured-fields.js';
import { type Verdict, type VerifyPolicy, reject } from './verdict.js';

/** A covered component: `'@method'`, `'content-digest'`, or one with parameters. */
export type ComponentSpec =
  | string
  | {
      readonly name: string;
      readonly params?: Readonly<Record<string, string | number | boolean>>;
    };

/** Input of {@link signRfc9421}. */
export interface Rfc9421SignInput {
  readonly method: string;
  readonly url: string | URL;
  /** Headers the request will carry (Host defaults to the URL's host). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body; when present a `Content-Digest: sha-256=:…:` is added (unless given). */
  readonly body?: string | Uint8Array | null;
  readonly privateKey: KeyObject;
  readonly keyId: string;
  /**
   * Covered components, in order. Default: `@method`, `@target-uri`, `@authority`, plus
   * `content-digest` when there is a body.
   */
  readonly components?: readonly ComponentSpec[];
  /** `created`, in seconds; now by default. */
  readonly created?: number;
  /** `expires`, in seconds; absent by default. */
  readonly expires?: number;
  /** The `alg` parameter; by default the key's algorithm; `null` leaves it out. */
  readonly alg?: SignatureAlgorithm | null;
  /** Signature label; `sig1` by default. */
  readonly label?: string;
  readonly nonce?: string;
  readonly tag?: string;
}

/** A produced RFC 9421 signature. */
export interface Rfc9421Signature {
  /**
   * Every header to send, lower-case: the input headers, `host`, `content-digest` (with a
   * body), `signature-input` and `signature`.
   */
  readonly headers: Record<string, string>;
  readonly signatureBase: string;
  readonly signatureInput: string;
  readonly signature: string;
}

function componentItem(spec: ComponentSpec): SfItem {
  if (typeof spec === 'string') return { value: spec.toLowerCase(), params: new Map() };
  return { value: spec.name.toLowerCase(), params: new Map(Object.entries(spec.params ?? {})) };
}

/** Signs a request with RFC 9421. */
export function signRfc9421(input: Rfc9421SignInput): Rfc9421Signature {
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (!('host' in headers)) headers.host = url.host;
  const body =
    input.body === undefined || input.body === null ? undefined : Buffer.from(input.body);
  if (body !== undefined && !('content-digest' in headers)) {
    headers['content-digest'] = `sha-256=:${sha256Base64(body)}:`;
  }
  const components = (
    input.components ?? [
      '@method',
      '@target-uri',
      '@authority',
      ...(body !== undefined ? ['content-digest'] : []),
    ]
  ).map(componentItem);
  const alg =
    input.alg === undefined ? (algorithmForKey(input.privateKey) ?? 'rsa-v1_5-sha256') : input.alg;
  const params: SfParams = new Map();
  params.set('created', input.created ?? Math.floor(Date.now() / 1000));
  if (input.expires !== undefined) params.set('expires', input.expires);
  params.set('keyid', input.keyId);
  if (alg !== null) params.set('alg', alg);
  if (input.nonce !== undefined) params.set('nonce', input.nonce);
  if (input.tag !== undefined) params.set('tag', input.tag);
  const message: HttpMessage = {
    method: input.method.toUpperCase(),
    targetUri: url,
    requestTarget: url.pathname + url.search,
    fields: fieldsFromRecord(headers),
    body: body ?? Buffer.alloc(0),
  };
  const base = signatureBase(message, { items: components, params });
  if (typeof base !== 'string') throw new Error(`cannot sign: ${base.error}`);
  const signingAlgorithm = alg ?? algorithmForKey(input.privateKey) ?? 'rsa-v1_5-sha256';
  const bytes = signBytes(signingAlgorithm, input.privateKey, base);
  const label = input.label ?? 'sig1';
  const signatureInput = `${label}=${serializeInnerList({ items: components, params })}`;
  const signature = `${label}=:${bytes.toString('base64')}:`;
  headers['signature-input'] = signatureInput;
  headers.signature = signature;
  return { headers, signatureBase: base, signatureInput, signature };
}

/** The value of one derived component (§2.2), or an error. */
function derivedValue(
  message: HttpMessage,
  name: string,
  params: SfParams,
): string | { error: string } {
  const url = message.targetUri;
  switch (name) {
    case '@method':
      return message.method;
    case '@target-uri':
      return url.href;
    case '@authority':
      return url.host;
    case '@scheme':
      return url.protocol.slice(0, -1).toLowerCase();
    case '@request-target':
      return message.requestTarget;
    case '@path':
      return url.pathname === '' ? '/' : url.pathname;
    case '@query':
      return url.search === '' ? '?' : url.search;
    case '@query-param': {
      const param = params.get('name');
      if (typeof param !== 'string') return { error: '@query-param needs a name parameter' };
      const values = new URLSearchParams(url.search).getAll(param);
      if (values.length !== 1)
        return { error: `query parameter ${param} occurs ${values.length}×` };
      return encodeURIComponent(values[0] ?? '');
    }
    default:
      return { error: `unsupported derived component ${name}` };
  }
}

/** The signature base of §2.5, or why it cannot be built. */
export function signatureBase(
  message: HttpMessage,
  signatureParams: SfInnerList,
): string | { error: string } {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const item of signatureParams.items) {
    if (typeof item.value !== 'string') return { error: 'component identifiers must be strings' };
    const id = serializeItem(item);
    if (seen.has(id)) return { error: `component ${id} is listed twice` };
    seen.add(id);
    let value: string | { error: string };
    if (item.value.startsWith('@')) {
      value = derivedValue(message, item.value, item.params);
    } else {
      const unsupported = [...item.params.keys()].filter((p) => p !== 'bs');
      if (unsupported.length > 0) {
        return { error: `unsupported component parameter ${unsupported.join(', ')} on ${id}` };
      }
      const lines = message.fields.get(item.value);
      if (lines === undefined || lines.length === 0) {
        value = { error: `covered header ${item.value} is missing` };
      } else if (item.params.get('bs') === true) {
        value = lines.map((line) => `:${Buffer.from(line.trim()).toString('base64')}:`).join(', ');
      } else {
        value = fieldValue(message, item.value) ?? '';
      }
    }
    if (typeof value !== 'string') return value;
    lines.push(`${id}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(signatureParams)}`);
  return lines.join('\n');
}

/** Verifies an RFC 9421 signature with Mastodon's requirements; any valid label is enough. */
export async function verifyRfc9421(
  message: HttpMessage,
  keys: KeySource,
  policy: VerifyPolicy,
): Promise<Verdict> {
  const inputHeader = fieldValue(message, 'signature-input');
  const signatureHeader = fieldValue(message, 'signature');
  if (inputHeader === undefined) return reject('none', 'no Signature-Input header');
  if (signatureHeader === undefined) return reject('rfc9421', 'Signature-Input without Signature');
  let inputs, signatures;
  try {
    inputs = parseDictionary(inputHeader);
    signatures = parseDictionary(signatureHeader);
  } catch (error) {
    const reason = error instanceof SfError ? error.message : String(error);
    return reject('rfc9421', `malformed signature headers: ${reason}`);
  }
  if (inputs.size === 0) return reject('rfc9421', 'empty Signature-Input');
  let failure: Verdict | undefined;
  for (const [label, input] of inputs) {
    const signature = signatures.get(label);
    const verdict =
      !isInnerList(input) || signature === undefined || isInnerList(signature)
        ? reject('rfc9421', `label ${label} has no usable Signature-Input/Signature pair`, {
            label,
          })
        : await verifyLabel(message, keys, policy, label, input, signature.value);
    if (verdict.ok) return verdict;
    failure ??= verdict;
  }
  return failure ?? reject('rfc9421', 'no signature');
}

async function verifyLabel(
  message: HttpMessage,
  keys: KeySource,
  policy: VerifyPolicy,
  label: string,
  input: SfInnerList,
  signatureValue: unknown,
): Promise<Verdict> {
  const covered = input.items.map((item) => serializeItem(item));
  const names = input.items.map((item) => item.value);
  const keyId = input.params.get('keyid');
  const alg = input.params.get('alg');
  const details = {
    label,
    covered,
    ...(typeof keyId === 'string' ? { keyId } : {}),
    ...(typeof alg === 'string' ? { algorithm: alg } : {}),
  };
  const fail = (reason: string, extra: Partial<Verdict> = {}) =>
    reject('rfc9421', reason, { ...details, ...extra });

  if (!(signatureValue instanceof Uint8Array)) return fail('Signature member is not bytes');
  if (typeof keyId !== 'string' || keyId === '') return fail('keyid is required');
  const created = input.params.get('created');
  if (typeof created !== 'number') return fail('created is required');
  if (alg !== undefined && (typeof alg !== 'string' || !isSignatureAlgorithm(alg))) {
    return fail(`unsupported alg ${serializeBareItem(alg)}`);
  }
  if (!names.includes('@method') || !names.includes('@target-uri')) {
    return fail('@method and @target-uri must be covered');
  }
  if (message.method === 'POST' && !names.includes('content-digest')) {
    return fail('POST without covered content-digest');
  }
  const now = policy.now().getTime();
  if (created * 1000 > now + policy.clockSkewMs) return fail('created is in the future');
  if (created * 1000 < now - policy.clockSkewMs) return fail('created is too old');
  const expires = input.params.get('expires');
  if (expires !== undefined && (typeof expires !== 'number' || expires * 1000 < now)) {
    return fail('signature has expired');
  }
  if (names.includes('content-digest')) {
    const problem = checkContentDigest(message);
    if (problem) return fail(problem);
  }
  const base = signatureBase(message, input);
  if (typeof base !== 'string') return fail(base.error);

  let keyRefetched = false;
  for (const refresh of [false, true]) {
    const lookup = await keys.resolve(keyId, refresh);
    if (!lookup.ok) return fail(lookup.reason, { keyRefetched });
    const key = lookup.key;
    const algorithm = alg ?? algorithmForKey(key.publicKey);
    const fits = algorithm !== undefined && keyFitsAlgorithm(key.publicKey, algorithm);
    if (!fits && !lookup.cached) {
      return fail(`key ${keyId} does not fit alg ${String(algorithm)}`, { keyRefetched });
    }
    if (fits && verifyBytes(algorithm, key.publicKey, base, signatureValue)) {
      return {
        ok: true,
        scheme: 'rfc9421',
        ...details,
        owner: key.owner,
        signedString: base,
        keyRefetched,
      };
    }
    if (!lookup.cached) break;
    keyRefetched = true;
  }
  return fail('signature does not verify', { signedString: base, keyRefetched });
}

function checkContentDigest(message: HttpMessage): string | undefined {
  const header = fieldValue(message, 'content-digest');
  if (header === undefined) return 'content-digest is covered but missing';
  let digests;
  try {
    digests = parseDictionary(header);
  } catch {
    return 'Content-Digest is not a structured dictionary';
  }
  const sha256 = digests.get('sha-256');
  if (sha256 === undefined)
    return `no sha-256 in Content-Digest (${[...digests.keys()].join(', ')})`;
  if (isInnerList(sha256) || !(sha256.value instanceof Uint8Array)) {
    return 'Content-Digest sha-256 is not a byte sequence';
  }
  if (!digestMatches(sha256.value, message.body)) return 'Content-Digest does not match the body';
  return undefined;
}
