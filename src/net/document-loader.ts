import {
  type AuthenticatedDocumentLoaderFactory,
  type DocumentLoader,
  type DocumentLoaderFactory,
  FetchError,
  preloadedContexts,
  type RemoteDocument,
  signRequest,
} from '@fedify/fedify';
import { SafeFetchError, type SafeFetchReason } from './error.js';
import type { SafeFetch, SafeFetchInit } from './safe-fetch.js';

/** `Accept` of ActivityPub object fetches. */
export const ACTIVITYPUB_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
/** `Accept` of JSON-LD context fetches. */
export const CONTEXT_ACCEPT = 'application/ld+json, application/json';

const ACTIVITYPUB_TYPES = ['application/activity+json', 'application/ld+json'];
const CONTEXT_TYPES = ['application/ld+json', 'application/json'];

/**
 * Why a loader refused a document: a {@link SafeFetchReason}, or
 * - `status`: the server answered non-2xx (the response is on the error);
 * - `content-type`: not an ActivityPub (or, for contexts, JSON-LD/JSON) media type;
 * - `invalid-json`: the body does not parse;
 * - `id-mismatch`: the document's `id` names another URL, and refetching that URL did not
 *   return a document with that same `id`.
 */
export type DocumentRejection =
  SafeFetchReason | 'status' | 'content-type' | 'invalid-json' | 'id-mismatch';

/**
 * What the loaders throw. It is a Fedify `FetchError`, so Fedify sorts it as it sorts its own
 * loader's failures: with `response` set (reason `status`), `fetchKeyDetailed` reports
 * `{ status, response }` (410 Gone: the actor is deleted); without it, `{ error }`.
 */
export class DocumentLoaderError extends FetchError {
  /** What went wrong, for callers to switch on. */
  readonly reason: DocumentRejection;

  /**
   * @param url the URL concerned
   * @param reason see {@link DocumentRejection}
   * @param message detail (Fedify prefixes the URL)
   * @param options `response` for reason `status`; `cause` the underlying error
   */
  constructor(
    url: string,
    reason: DocumentRejection,
    message: string,
    options: { response?: Response; cause?: unknown } = {},
  ) {
    super(url, message, options.response);
    this.name = 'DocumentLoaderError';
    this.reason = reason;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /**
   * Whether the remote end may be back later: the host is down or slow (`network`,
   * `timeout`), or answered 5xx or 429. An inbox answers 503 for these, so the sender retries.
   */
  get transient(): boolean {
    const status = this.response?.status ?? 0;
    return (
      this.reason === 'network' || this.reason === 'timeout' || status >= 500 || status === 429
    );
  }
}

/** Options of {@link createDocumentLoader}. */
export interface DocumentLoaderOptions {
  /** Transforms each outgoing request, every redirect hop included (e.g. signs it). */
  prepare?: SafeFetchInit['prepare'];
}

/**
 * A Fedify `DocumentLoader` for ActivityPub objects over {@link SafeFetch}:
 *
 * - asks for `application/activity+json` / `application/ld+json` and refuses any other media
 *   type (INTEROP §Security 4), even when the body is valid JSON;
 * - accepts the document when its `id` is the URL it was finally served from (ignoring
 *   fragments: a key id `…/actor#main-key` fetches `…/actor`), or when it has no `id`;
 * - otherwise refetches once from that `id` and accepts only a document whose `id` is exactly
 *   that URL and that was served from it, without redirect (INTEROP §Security 3);
 * - serves Fedify's preloaded JSON-LD contexts without fetching them.
 *
 * Failures are {@link DocumentLoaderError}s; aborts through `options.signal` reject with the
 * signal's reason.
 */
export function createDocumentLoader(
  safeFetch: SafeFetch,
  options: DocumentLoaderOptions = {},
): DocumentLoader {
  const get = (url: string, signal: AbortSignal | undefined) =>
    fetchJson(safeFetch, url, ACTIVITYPUB_ACCEPT, ACTIVITYPUB_TYPES, signal, options.prepare);
  return async (url, loaderOptions) => {
    const preloaded = preloadedDocument(url);
    if (preloaded !== undefined) return preloaded;
    const signal = loaderOptions?.signal;
    const first = await get(url, signal);
    const claimed = documentId(first.document);
    if (claimed === undefined || sameDocument(claimed, first.url)) return remote(first);
    if (claimed === null) {
      throw new DocumentLoaderError(first.url, 'id-mismatch', 'document id is not an absolute URL');
    }
    const second = await get(claimed, signal);
    const confirmed = documentId(second.document);
    if (confirmed === claimed && sameDocument(confirmed, second.url)) return remote(second);
    throw new DocumentLoaderError(
      claimed,
      'id-mismatch',
      `${first.url} served a document with this id, but this URL serves id ${String(confirmed)}` +
        (second.url === claimed ? '' : ` from ${second.url}`),
    );
  };
}

/** Options of {@link createContextLoader}. */
export interface ContextLoaderOptions {
  /** Remote contexts kept in memory; the oldest used is dropped first. Default: 128. */
  cacheSize?: number;
}

/**
 * A Fedify `DocumentLoader` for JSON-LD contexts over {@link SafeFetch}: Fedify's preloaded
 * contexts (ActivityStreams, security, …) are served from memory, others are fetched
 * (`application/ld+json` or `application/json` only) and cached in a bounded in-memory map.
 * Fedify does not add its preloaded contexts to a custom context loader, so this one does.
 */
export function createContextLoader(
  safeFetch: SafeFetch,
  options: ContextLoaderOptions = {},
): DocumentLoader {
  const cacheSize = options.cacheSize ?? 128;
  const cache = new Map<string, RemoteDocument>();
  return async (url, loaderOptions) => {
    const preloaded = preloadedDocument(url);
    if (preloaded !== undefined) return preloaded;
    const hit = cache.get(url);
    if (hit !== undefined) {
      cache.delete(url);
      cache.set(url, hit);
      return hit;
    }
    const fetched = remote(
      await fetchJson(safeFetch, url, CONTEXT_ACCEPT, CONTEXT_TYPES, loaderOptions?.signal),
    );
    cache.set(url, fetched);
    for (const oldest of cache.keys()) {
      if (cache.size <= cacheSize) break;
      cache.delete(oldest);
    }
    return fetched;
  };
}

/**
 * A Fedify `AuthenticatedDocumentLoaderFactory`: the {@link createDocumentLoader} behaviour,
 * with every GET, each redirect hop included, signed by `signRequest` (draft-cavage HTTP
 * Signatures, Fedify's default spec) with the given actor key. Fedify's per-call options
 * (`allowPrivateAddress`, `userAgent`) are ignored: the {@link SafeFetch} configuration decides.
 */
export function createAuthenticatedDocumentLoaderFactory(
  safeFetch: SafeFetch,
): AuthenticatedDocumentLoaderFactory {
  return (identity) =>
    createDocumentLoader(safeFetch, {
      prepare: (request) => signRequest(request, identity.privateKey, identity.keyId),
    });
}

/**
 * A Fedify `DocumentLoaderFactory` (for `createFederation({ documentLoaderFactory })`) that
 * always returns one {@link createDocumentLoader} loader; Fedify's per-call options are ignored.
 */
export function createDocumentLoaderFactory(safeFetch: SafeFetch): DocumentLoaderFactory {
  const loader = createDocumentLoader(safeFetch);
  return () => loader;
}

/**
 * A Fedify `DocumentLoaderFactory` for `createFederation({ contextLoaderFactory })` that always
 * returns one {@link createContextLoader} loader, so its cache is shared by every call.
 */
export function createContextLoaderFactory(
  safeFetch: SafeFetch,
  options: ContextLoaderOptions = {},
): DocumentLoaderFactory {
  const loader = createContextLoader(safeFetch, options);
  return () => loader;
}

/** The media type of a `Content-Type` value, lower case, without parameters. */
export function mediaType(contentType: string | null): string | null {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? null : type;
}

interface Fetched {
  readonly url: string;
  readonly document: unknown;
}

async function fetchJson(
  safeFetch: SafeFetch,
  url: string,
  accept: string,
  types: readonly string[],
  signal: AbortSignal | undefined,
  prepare?: SafeFetchInit['prepare'],
): Promise<Fetched> {
  let response: Response;
  try {
    response = await safeFetch.fetch(url, { headers: { accept }, signal, prepare });
  } catch (error) {
    if (!(error instanceof SafeFetchError)) throw error;
    throw new DocumentLoaderError(error.url, error.reason, error.message, { cause: error });
  }
  if (!response.ok) {
    throw new DocumentLoaderError(response.url, 'status', `HTTP ${response.status}`, {
      response,
    });
  }
  const type = mediaType(response.headers.get('content-type'));
  if (type === null || !types.includes(type)) {
    throw new DocumentLoaderError(
      response.url,
      'content-type',
      `content type ${type ?? 'missing'} is not one of ${types.join(', ')}`,
    );
  }
  try {
    return { url: response.url, document: JSON.parse(await response.text()) as unknown };
  } catch (error) {
    throw new DocumentLoaderError(response.url, 'invalid-json', 'body is not JSON', {
      cause: error,
    });
  }
}

/**
 * The document's `id` (or `@id`) as a normalized absolute URL; `undefined` when it has none;
 * `null` when it is present but not an absolute URL.
 */
function documentId(document: unknown): string | null | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return undefined;
  }
  const record = document as Record<string, unknown>;
  const id = 'id' in record ? record.id : record['@id'];
  if (id === undefined) return undefined;
  if (typeof id !== 'string') return null;
  return URL.canParse(id) ? new URL(id).href : null;
}

/** Whether `id` names the document at `url` (fragments aside). */
function sameDocument(id: string | null, url: string): boolean {
  if (id === null) return false;
  const a = new URL(id);
  const b = new URL(url);
  a.hash = '';
  b.hash = '';
  return a.href === b.href;
}

function preloadedDocument(url: string): RemoteDocument | undefined {
  if (!Object.hasOwn(preloadedContexts, url)) return undefined;
  return { contextUrl: null, document: preloadedContexts[url], documentUrl: url };
}

function remote(fetched: Fetched): RemoteDocument {
  return { contextUrl: null, document: fetched.document, documentUrl: fetched.url };
}
