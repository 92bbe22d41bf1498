/**
 * Public key lookup by keyId, the way a Mastodon server does it: GET the keyId's document (without
 * the fragment) as ActivityPub JSON, find the key either as the document itself or embedded in an
 * actor's `publicKey` / `assertionMethod`, and make sure the owning actor lists that key. Keys are
 * cached; verifiers ask again with `refresh` when a cached key fails (key rotation).
 */
import { type KeyObject, createPublicKey } from 'node:crypto';

/** The Accept header Mastodon sends for ActivityPub documents (JsonLdHelper#build_request). */
export const ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json';

/** Bytes read from a fetched document at most (Mastodon's limit). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** A JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A key that was found and whose owner lists it. */
export interface ResolvedKey {
  readonly keyId: string;
  /** The actor owning the key. */
  readonly owner: string;
  readonly publicKey: KeyObject;
}

/** The outcome of a lookup. */
export type KeyLookup =
  | { readonly ok: true; readonly key: ResolvedKey; readonly cached: boolean }
  | { readonly ok: false; readonly reason: string };

/** Where verifiers get keys from. */
export interface KeySource {
  resolve(keyId: string, refresh?: boolean): Promise<KeyLookup>;
}

/** Options of {@link KeyResolver}. */
export interface KeyResolverOptions {
  /** Extra headers for a fetch, e.g. an HTTP signature (Mastodon signs its fetches). */
  readonly fetchHeaders?: (url: URL) => Record<string, string>;
  /** Per-fetch deadline; 5 s by default. */
  readonly timeoutMs?: number;
}

/** Whether `value` is a non-array object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string property, or the `id` of an embedded object. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.id === 'string') return value.id;
  return undefined;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

/** The key entries (objects or references) an actor document lists. */
function listedKeys(document: JsonObject): unknown[] {
  return [...asArray(document.publicKey), ...asArray(document.assertionMethod)];
}

/** Fetches keys by keyId and caches them. */
export class KeyResolver implements KeySource {
  /** Every URL fetched, in order, for tests that count round trips. */
  readonly fetches: string[] = [];
  private readonly cache = new Map<string, ResolvedKey>();

  constructor(private readonly options: KeyResolverOptions = {}) {}

  /** Forgets all cached keys. */
  clear(): void {
    this.cache.clear();
  }

  async resolve(keyId: string, refresh = false): Promise<KeyLookup> {
    const cached = this.cache.get(keyId);
    if (cached && !refresh) return { ok: true, key: cached, cached: true };
    let url: URL;
    try {
      url = new URL(keyId);
    } catch {
      return { ok: false, reason: `keyId ${JSON.stringify(keyId)} is not a URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, reason: `keyId ${keyId} is not an http(s) URL` };
    }
    url.hash = '';
    const fetched = await this.fetchDocument(url.href);
    if (!fetched.ok) return fetched;
    const document = fetched.document;

    let entry: JsonObject | undefined;
    let owner: string | undefined;
    let ownerConfirmed = false;
    if (document.id === keyId && hasKeyMaterial(document)) {
      // A key document (e.g. CryptographicKey or Multikey) naming its owner.
      entry = document;
      owner = idOf(document.owner) ?? idOf(document.controller);
    } else {
      // An actor embedding the key.
      entry = listedKeys(document)
        .filter(isJsonObject)
        .find((candidate) => candidate.id === keyId);
      if (!entry) return { ok: false, reason: `${url.href} does not contain the key ${keyId}` };
      owner = idOf(document.id);
      const claimed = idOf(entry.owner) ?? idOf(entry.controller);
      if (claimed !== undefined && claimed !== owner) {
        return { ok: false, reason: `key ${keyId} claims owner ${claimed}, not ${String(owner)}` };
      }
      ownerConfirmed = owner === url.href;
    }
    if (owner === undefined) return { ok: false, reason: `key ${keyId} names no owner` };
    if (!ownerConfirmed) {
      const ownerDocument = await this.fetchDocument(owner);
      if (!ownerDocument.ok) return ownerDocument;
      if (ownerDocument.document.id !== owner) {
        return {
          ok: false,
          reason: `owner document ${owner} has id ${String(ownerDocument.document.id)}`,
        };
      }
      if (!listedKeys(ownerDocument.document).some((listed) => idOf(listed) === keyId)) {
        return { ok: false, reason: `owner ${owner} does not list the key ${keyId}` };
      }
    }
    const publicKey = keyMaterial(entry);
    if (typeof publicKey === 'string') return { ok: false, reason: `key ${keyId}: ${publicKey}` };
    const key: ResolvedKey = { keyId, owner, publicKey };
    this.cache.set(keyId, key);
    return { ok: true, key, cached: false };
  }

  private async fetchDocument(
    url: string,
  ): Promise<{ ok: true; document: JsonObject } | { ok: false; reason: string }> {
    this.fetches.push(url);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: ACTIVITY_ACCEPT, ...this.options.fetchHeaders?.(new URL(url)) },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      return { ok: false, reason: `fetching ${url} failed: ${describeError(error)}` };
    }
    const text = await response.text().catch(() => '');
    if (response.status !== 200) {
      return { ok: false, reason: `fetching ${url} answered ${response.status}` };
    }
    const type = response.headers.get('content-type') ?? '';
    if (!/^application\/(activity|ld)\+json\s*(;|$)/i.test(type)) {
      return { ok: false, reason: `${url} has content type ${JSON.stringify(type)}` };
    }
    if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) {
      return { ok: false, reason: `${url} is larger than 1 MiB` };
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return { ok: false, reason: `${url} is not JSON` };
    }
    if (!isJsonObject(document)) return { ok: false, reason: `${url} is not a JSON object` };
    return { ok: true, document };
  }
}

/** A network error's most useful description (`ECONNREFUSED`, `TimeoutError`, …). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (isJsonObject(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return `${error.message} (${cause.message})`;
  return `${error.name}: ${error.message}`;
}

function hasKeyMaterial(entry: JsonObject): boolean {
  return typeof entry.publicKeyPem === 'string' || typeof entry.publicKeyMultibase === 'string';
}

/** The public key an entry carries, or why it carries none usable. */
function keyMaterial(entry: JsonObject): KeyObject | string {
  try {
    if (typeof entry.publicKeyPem === 'string') return createPublicKey(entry.publicKeyPem);
    if (typeof entry.publicKeyMultibase === 'string') {
      return multikeyPublicKey(entry.publicKeyMultibase);
    }
  } catch (error) {
    return `unusable key material (${describeError(error)})`;
  }
  return 'no publicKeyPem or publicKeyMultibase';
}

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Decodes base58btc (the `z` multibase). */
export function decodeBase58(text: string): Uint8Array {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58_ALPHABET.indexOf(char);
    if (digit < 0) throw new Error(`invalid base58 character ${char}`);
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value % 256n));
    value /= 256n;
  }
  let zeros = 0;
  while (text[zeros] === '1') zeros++;
  return new Uint8Array([...new Array<number>(zeros).fill(0), ...bytes]);
}

/** Encodes base58btc. */
export function encodeBase58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let out = '';
  while (value > 0n) {
    out = (BASE58_ALPHABET[Number(value % 58n)] ?? '') + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** Multicodec prefixes (unsigned varints) of the key types FEP-521a Multikeys use. */
const ED25519_PUB = [0xed, 0x01];
const RSA_PUB = [0x85, 0x24];

/** A Multikey `publicKeyMultibase` (base58btc, multicodec-prefixed) as a KeyObject. */
export function multikeyPublicKey(multibase: string): KeyObject {
  if (!multibase.startsWith('z')) throw new Error('only base58btc (z) multibase is supported');
  const bytes = decodeBase58(multibase.slice(1));
  const prefixed = (prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
  if (prefixed(ED25519_PUB) && bytes.length === 34) {
    const x = Buffer.from(bytes.subarray(2)).toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  }
  if (prefixed(RSA_PUB)) {
    return createPublicKey({ key: Buffer.from(bytes.subarray(2)), format: 'der', type: 'pkcs1' });
  }
  throw new Error('unsupported multicodec key type');
}

/** An Ed25519 public key as a Multikey `publicKeyMultibase`. */
export function ed25519Multibase(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  return 'z' + encodeBase58(new Uint8Array([...ED25519_PUB, ...raw]));
}
