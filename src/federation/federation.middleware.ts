import type { Federation } from '@fedify/fedify';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  duplicateSignatureParameter,
  isActivityJsonType,
  isInboxPath,
  selfDeleteActor,
  signedGetProblem,
} from './inbox-guard.js';

/** Largest request body the federation endpoints accept (Mastodon's inbox limit). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Options for {@link federationMiddleware}. */
export interface FederationMiddlewareOptions {
  /** The public origin (`PUBLIC_URL`): request URLs are rebuilt on it, never on the Host header
   * or an absolute-form request target, which the client chooses. */
  readonly origin: string;
  /** Path prefixes that are not Fedify's and pass straight to Nest. */
  readonly skip: readonly string[];
  readonly maxBodyBytes?: number;
  /**
   * Whether `hostname` is a publication's custom domain. On such a host only WebFinger and
   * host-meta are answered, with the request URL on that host (so `@slug@custom.domain`
   * resolves); any other unknown Host is treated as `origin`.
   */
  readonly isCustomDomain?: (hostname: string) => Promise<boolean>;
  /** Whether a remote actor is known here (follows one of our actors). */
  readonly isKnownActor?: (uri: string) => Promise<boolean>;
}

/** What a custom domain serves: discovery only; actors and inboxes live on `PUBLIC_URL`. */
const CUSTOM_DOMAIN_PATHS = [
  '/.well-known/webfinger',
  '/.well-known/host-meta',
  '/.well-known/host-meta.json',
];

/**
 * Hands requests to Fedify as Fetch API `Request`s with the raw body bytes, so digests and
 * signatures are checked against exactly what was sent. Bodies over the cap get 413 before any
 * parsing: by `Content-Length` when it is declared, otherwise as soon as the stream passes it.
 * What Fedify does not route (404) or cannot represent (406) goes on to Nest.
 */
export function federationMiddleware(
  federation: Federation<void>,
  options: FederationMiddlewareOptions,
): (req: Request, res: Response, next: NextFunction) => void {
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  return (req, res, next) => {
    if (options.skip.some((prefix) => req.path.startsWith(prefix))) {
      next();
      return;
    }
    handle(federation, options, maxBytes, req, res, next).catch(next);
  };
}

async function handle(
  federation: Federation<void>,
  options: FederationMiddlewareOptions,
  maxBytes: number,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  const origin = await originFor(req, options);
  if (origin === null) {
    res.status(404).json({ error: 'not_found', message: 'this host serves only WebFinger' });
    return;
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const signature = req.headers.signature;
  if (!hasBody && typeof signature === 'string') {
    const problem = signedGetProblem(signature);
    if (problem !== null) {
      res.status(401).json({ error: 'invalid_signature', message: problem });
      return;
    }
  }
  let body: Buffer | undefined;
  if (hasBody) {
    const read = await readBody(req, maxBytes);
    if (read === 'too-large') {
      const declared = Number(req.headers['content-length']);
      const drained = declared > DISCARD_MAX_BYTES ? false : await discardRest(req);
      // Past the discard bounds, answer and hang up; the client may or may not read it.
      if (!drained) res.set('Connection', 'close');
      res
        .status(413)
        .json({ error: 'payload_too_large', message: `request body exceeds ${maxBytes} bytes` });
      return;
    }
    body = read;
    if (req.method === 'POST' && isInboxPath(req.path)) {
      if (!isActivityJsonType(req.headers['content-type'])) {
        res.status(415).json({
          error: 'unsupported_media_type',
          message: 'inboxes take application/activity+json or application/ld+json',
        });
        return;
      }
      const duplicate = duplicateSignatureParameter(
        typeof signature === 'string' ? signature : undefined,
      );
      if (duplicate !== null) {
        res.status(401).json({
          error: 'invalid_signature',
          message: `the Signature header gives ${duplicate} twice`,
        });
        return;
      }
      // Fedify's draft-cavage check covers the path only; a query the signer did not sign is refused.
      if (req.originalUrl.includes('?')) {
        res.status(401).json({ error: 'invalid_signature', message: 'inbox URLs take no query' });
        return;
      }
      // An actor deleting itself that we never knew: nothing to do, and nothing is fetched to
      // check its (usually gone) key. Floods of these are common when a server shuts down.
      const deleted = selfDeleteActor(body);
      if (
        deleted !== null &&
        options.isKnownActor !== undefined &&
        !(await options.isKnownActor(deleted))
      ) {
        res.status(202).end();
        return;
      }
    }
  }

  const request = toFetchRequest(req, origin, body);
  if (request === undefined) {
    res.status(400).json({ error: 'bad_request', message: 'unsupported request target or method' });
    return;
  }

  // Fedify calls these for requests that are not its own; the marker hands them on to Nest.
  const notOurs = new Response(null, { status: 404 });
  const isWebFinger = req.path === '/.well-known/webfinger';
  let response: globalThis.Response;
  try {
    response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () =>
        isWebFinger
          ? new Response(JSON.stringify({ error: 'not_found', message: 'no such account here' }), {
              status: 404,
              headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
            })
          : notOurs,
      onNotAcceptable: () => notOurs,
    });
  } catch (error) {
    // Fedify turns most unparseable activities into 400 itself, but some escape it as exceptions
    // (found by test/e2e/inbox-fuzz.e2e-spec.ts): an unknown or unreachable @context URL
    // (jsonld.InvalidUrl), a literal of the wrong type (`v.@value.substring is not a function`),
    // nesting deep enough to overflow the stack in JSON-LD expansion (RangeError). Those are the
    // sender's fault, not ours: 400, so it does not retry. Anything else stays a 500.
    if (req.method === 'POST' && isInboxPath(req.path) && isUnparseableActivity(error)) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      inboxLogger.warn(`rejected an unparseable activity on ${req.path}: ${reason.slice(0, 300)}`);
      res.status(400).json({ error: 'invalid_activity', message: 'the activity cannot be parsed' });
      return;
    }
    throw error;
  }
  if (response === notOurs) {
    next();
    return;
  }
  res.status(response.status);
  response.headers.forEach((value, name) => {
    res.append(name, value);
  });
  res.end(Buffer.from(await response.arrayBuffer()));
}

const inboxLogger = new Logger('Inbox');

/**
 * Whether an exception thrown while Fedify parsed an inbox POST comes from the activity itself:
 * a JSON-LD processing error (`jsonld.*`, including contexts that cannot be loaded), or a
 * TypeError, RangeError or SyntaxError raised while reading its values. Outages (database, queue)
 * are none of these.
 */
export function isUnparseableActivity(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name.startsWith('jsonld.') ||
    error.constructor.name === 'JsonLdError' ||
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError
  );
}

/**
 * The origin to build the request URL on: `PUBLIC_URL`'s, or a publication's custom domain for the
 * discovery paths it serves (`null`: a custom domain asked for anything else).
 */
async function originFor(
  req: Request,
  options: FederationMiddlewareOptions,
): Promise<string | null> {
  const publicOrigin = new URL(options.origin);
  const host = (req.headers.host ?? '').toLowerCase();
  const hostname = host.replace(/:\d+$/, '');
  if (
    hostname === '' ||
    hostname === publicOrigin.hostname ||
    options.isCustomDomain === undefined
  ) {
    return options.origin;
  }
  if (!/^[a-z0-9.-]+$/.test(hostname) || !(await options.isCustomDomain(hostname))) {
    return options.origin;
  }
  if (!CUSTOM_DOMAIN_PATHS.includes(req.path)) return null;
  return `${publicOrigin.protocol}//${host}`;
}

/** The Fetch API request for `req`, or `undefined` when it cannot be one (absolute-form target,
 * a method such as TRACE or CONNECT, malformed headers). */
function toFetchRequest(
  req: Request,
  origin: string,
  body: Buffer | undefined,
): globalThis.Request | undefined {
  if (!req.originalUrl.startsWith('/')) return undefined;
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    return new globalThis.Request(new URL(req.originalUrl, origin), {
      method: req.method,
      headers,
      ...(body === undefined ? {} : { body: new Uint8Array(body) }),
    });
  } catch {
    return undefined;
  }
}

/** How long, and how much, of a rejected upload is read and thrown away. */
const DISCARD_MS = 10_000;
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads the rest of a rejected body and throws it away, resolving `true` once the client has sent
 * it all, or `false` past {@link DISCARD_MAX_BYTES} or {@link DISCARD_MS}. Answering while the
 * client is still sending makes a lost 413 likely (its writes meet a closed or reset connection,
 * it sees a network error and retries), so the 413 goes out after the body. Nothing is buffered.
 */
function discardRest(req: Request): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let discarded = 0;
    const finish = (drained: boolean): void => {
      clearTimeout(timer);
      req.off('data', onData);
      resolve(drained);
    };
    const timer = setTimeout(() => {
      finish(false);
    }, DISCARD_MS);
    const onData = (chunk: Buffer): void => {
      discarded += chunk.length;
      if (discarded > DISCARD_MAX_BYTES) finish(false);
    };
    req.on('data', onData);
    req.once('end', () => {
      finish(true);
    });
    req.once('close', () => {
      finish(req.complete);
    });
    req.resume();
  });
}

/** Reads the body up to `maxBytes`; stops reading and reports 'too-large' past it. */
function readBody(req: Request, maxBytes: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(Buffer.concat(chunks, size));
    });
    req.once('error', reject);
  });
}
