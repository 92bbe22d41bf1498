/**
 * The peer's outgoing side: signed POSTs and GETs built like Mastodon's (`Request` +
 * `HttpSignatureDraft`), with knobs to break them on purpose, sent over node:http so every header
 * (Host included) goes out exactly as signed.
 */
import type { KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';

import { ACTIVITY_JSON } from './activities.js';
import { MASTODON_GET_HEADERS, MASTODON_POST_HEADERS, signCavage } from './cavage.js';
import { ACTIVITY_ACCEPT } from './keys.js';
import { sha256Base64 } from './message.js';
import { type ComponentSpec, signRfc9421 } from './rfc9421.js';
import type { SignatureAlgorithm } from './algorithms.js';

/** Who signs: a keyId and its private key. */
export interface SigningIdentity {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** Options of signed requests; everything is Mastodon's behaviour unless set. */
export interface SignedRequestOptions {
  /** Signature scheme; Mastodon signs `draft-cavage`. */
  readonly spec?: 'draft-cavage' | 'rfc9421';
  /** Date header value (also what is signed); a Date is formatted as an HTTP date. */
  readonly date?: Date | string;
  /** Host header value (also what is signed); the URL's host by default. */
  readonly host?: string;
  /** cavage: the covered headers, replacing Mastodon's list. */
  readonly signedHeaders?: readonly string[];
  /** cavage: leave `digest` out of the covered headers (the Digest header is still sent). */
  readonly omitDigest?: boolean;
  /** cavage: leave `host` out of the covered headers. */
  readonly omitHost?: boolean;
  /** cavage `algorithm` parameter (`rsa-sha256` by default); `null` leaves it out. */
  readonly algorithm?: string | null;
  /** Sign with this key instead of the actor's (the keyId stays unless `keyId` is given). */
  readonly privateKey?: KeyObject;
  /** Claim this keyId. */
  readonly keyId?: string;
  /** Send this body instead of the signed one (a string, or a function of the signed body). */
  readonly tamperBody?: string | ((signed: string) => string);
  /** Request this path and query instead of the signed ones. */
  readonly tamperPath?: string | ((signed: string) => string);
  /** Add a second copy of a Signature parameter, before or after the real ones. */
  readonly duplicateParameter?: {
    readonly name: string;
    readonly value: string;
    readonly position?: 'before' | 'after';
  };
  /** Rewrite the final Signature header. */
  readonly mutateSignature?: (header: string) => string;
  /** Raw header overrides applied after signing (lower-case names); `null` removes one. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Content-Type of a POST; `application/activity+json` by default. */
  readonly contentType?: string;
  /** RFC 9421 only: covered components, parameters and label. */
  readonly rfc9421?: {
    readonly components?: readonly ComponentSpec[];
    readonly created?: number;
    readonly expires?: number;
    readonly alg?: SignatureAlgorithm | null;
    readonly label?: string;
  };
  /** Deadline for the whole exchange; 10 s by default. */
  readonly timeoutMs?: number;
}

/** A request as it went out. */
export interface SentRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function httpDate(date: Date | string | undefined): string {
  if (typeof date === 'string') return date;
  return (date ?? new Date()).toUTCString();
}

/** Builds the headers, URL and body of a signed request, without sending it. */
export function buildSignedRequest(
  identity: SigningIdentity,
  method: 'GET' | 'POST',
  url: string | URL,
  body: string | undefined,
  options: SignedRequestOptions = {},
  userAgent = 'http.rb/5.2.0 (Mastodon/4.4.0; +https://mastodon.example/)',
): SentRequest {
  const target = new URL(url);
  const keyId = options.keyId ?? identity.keyId;
  const privateKey = options.privateKey ?? identity.privateKey;
  const date = httpDate(options.date);
  let headers: Record<string, string> = { host: options.host ?? target.host, date };
  if (method === 'POST') {
    headers.digest = `SHA-256=${sha256Base64(body ?? '')}`;
    headers['content-type'] = options.contentType ?? ACTIVITY_JSON;
  } else {
    headers.accept = ACTIVITY_ACCEPT;
  }

  if (options.spec === 'rfc9421') {
    const rfc = options.rfc9421 ?? {};
    const signed = signRfc9421({
      method,
      url: target,
      headers,
      body: method === 'POST' ? (body ?? '') : null,
      privateKey,
      keyId,
      created: rfc.created ?? Math.floor((options.date ? Date.parse(date) : Date.now()) / 1000),
      ...(rfc.components ? { components: rfc.components } : {}),
      ...(rfc.expires !== undefined ? { expires: rfc.expires } : {}),
      ...(rfc.alg !== undefined ? { alg: rfc.alg } : {}),
      ...(rfc.label !== undefined ? { label: rfc.label } : {}),
    });
    Object.assign(headers, signed.headers);
  } else {
    const defaults = method === 'POST' ? MASTODON_POST_HEADERS : MASTODON_GET_HEADERS;
    const signedHeaders = (options.signedHeaders ?? defaults).filter(
      (name) =>
        !(options.omitDigest && name === 'digest') && !(options.omitHost && name === 'host'),
    );
    let signature = signCavage({
      method,
      requestTarget: target.pathname + target.search,
      headers,
      signedHeaders,
      keyId,
      privateKey,
      ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
    }).header;
    const duplicate = options.duplicateParameter;
    if (duplicate) {
      const extra = `${duplicate.name}="${duplicate.value}"`;
      signature =
        duplicate.position === 'before' ? `${extra},${signature}` : `${signature},${extra}`;
    }
    headers.signature = options.mutateSignature?.(signature) ?? signature;
  }
  headers['user-agent'] = userAgent;

  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    headers = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== lower));
    if (value !== null) headers[lower] = value;
  }
  const signedPath = target.pathname + target.search;
  const path =
    typeof options.tamperPath === 'function' ? options.tamperPath(signedPath) : options.tamperPath;
  const sentUrl = path === undefined ? target : new URL(path, target);
  const sentBody =
    typeof options.tamperBody === 'function' ? options.tamperBody(body ?? '') : options.tamperBody;
  return { method, url: sentUrl.href, headers, body: sentBody ?? body ?? '' };
}

/**
 * Sends a request with exactly the given headers over node:http (plain http only, as in the
 * tests) and returns it as a fetch `Response`.
 */
export function sendRequest(request: SentRequest, timeoutMs = 10_000): Promise<Response> {
  const url = new URL(request.url);
  if (url.protocol !== 'http:') throw new Error(`only http: URLs are supported, got ${url.href}`);
  const body = request.method === 'GET' ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port === '' ? 80 : Number(url.port),
        method: request.method,
        path: url.pathname + url.search,
        headers,
        setHost: false,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value ?? '']) {
              responseHeaders.append(name, v);
            }
          }
          const status = res.statusCode ?? 0;
          const noBody = status === 204 || status === 205 || status === 304;
          resolve(
            new Response(noBody ? null : Buffer.concat(chunks), {
              status,
              statusText: res.statusMessage ?? '',
              headers: responseHeaders,
            }),
          );
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`request to ${url.href} timed out`)));
    req.once('error', reject);
    req.end(body);
  });
}
