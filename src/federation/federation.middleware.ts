import type { Federation } from '@fedify/fedify';
import type { NextFunction, Request, Response } from 'express';

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
}

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
    handle(federation, options.origin, maxBytes, req, res, next).catch(next);
  };
}

async function handle(
  federation: Federation<void>,
  origin: string,
  maxBytes: number,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
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
  }

  const request = toFetchRequest(req, origin, body);
  if (request === undefined) {
    res.status(400).json({ error: 'bad_request', message: 'unsupported request target or method' });
    return;
  }

  // Fedify calls these for requests that are not its own; the marker hands them on to Nest.
  const notOurs = new Response(null, { status: 404 });
  const response = await federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => notOurs,
    onNotAcceptable: () => notOurs,
  });
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
