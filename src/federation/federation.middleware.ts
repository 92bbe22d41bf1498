import type { Federation } from '@fedify/fedify';
import type { NextFunction, Request, Response } from 'express';

/** Largest request body the federation endpoints accept (Mastodon's inbox limit). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Options for {@link federationMiddleware}. */
export interface FederationMiddlewareOptions {
  /** Scheme used to rebuild the request URL (the proxy in front terminates TLS). */
  readonly protocol: 'http:' | 'https:';
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
    handle(federation, options.protocol, maxBytes, req, res, next).catch(next);
  };
}

async function handle(
  federation: Federation<void>,
  protocol: string,
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
      discardRest(req);
      res
        .status(413)
        .json({ error: 'payload_too_large', message: `request body exceeds ${maxBytes} bytes` });
      return;
    }
    body = read;
  }

  const url = new URL(req.originalUrl, `${protocol}//${req.headers.host ?? 'localhost'}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const request = new Request(url, {
    method: req.method,
    headers,
    ...(body === undefined ? {} : { body: new Uint8Array(body) }),
  });

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

/** How long, and how much, of a rejected upload is read and thrown away before hanging up. */
const DISCARD_MS = 10_000;
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads and throws away the rest of a rejected body, so the client, still sending, gets to read
 * the 413 (closing at once makes the kernel reset the connection and the client sees a network
 * error, then retries). Bounded: past {@link DISCARD_MAX_BYTES} or {@link DISCARD_MS} the socket
 * is destroyed. Nothing is buffered meanwhile.
 */
function discardRest(req: Request): void {
  let discarded = 0;
  const timer = setTimeout(() => {
    req.socket.destroy();
  }, DISCARD_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) req.socket.destroy();
  });
  req.once('end', () => {
    clearTimeout(timer);
  });
  req.once('close', () => {
    clearTimeout(timer);
  });
  req.resume();
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
