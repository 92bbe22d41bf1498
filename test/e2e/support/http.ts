import { request } from 'node:http';
import { connect } from 'node:net';

/** A response read to the end. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Options for {@link postBody}. */
export interface PostBodyOptions {
  readonly port: number;
  readonly path: string;
  /** Total body size; sent in 64 KiB chunks. */
  readonly bytes: number;
  /** Send without Content-Length (Transfer-Encoding: chunked) instead of declaring the size. */
  readonly chunked: boolean;
  readonly headers?: Record<string, string>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x20);

/**
 * POSTs a body of `bytes` bytes the way RFC 9112 §9.5 asks a client to: it watches for a response
 * while sending and stops sending once one arrives, so an early 413 is read instead of being lost
 * to the connection being closed under the upload. Chunks go out one at a time, each after the
 * previous one was flushed. A write error after the response arrived is ignored; one before it
 * rejects (with the error's `code`, e.g. EPIPE or ECONNRESET).
 */
export function postBody(options: PostBodyOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        method: 'POST',
        agent: false,
        headers: {
          ...options.headers,
          ...(options.chunked
            ? { 'transfer-encoding': 'chunked' }
            : { 'content-length': String(options.bytes) }),
        },
      },
      (res) => {
        responded = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.once('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.once('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    let sent = 0;
    const next = (): void => {
      if (responded || req.destroyed) return;
      if (sent >= options.bytes) {
        req.end();
        return;
      }
      const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, options.bytes - sent));
      sent += chunk.length;
      req.write(chunk, () => {
        setImmediate(next);
      });
    };
    next();
  });
}

/** The head of a response to a request whose body was declared but never sent. */
export interface DeclaredOnlyOutcome {
  readonly statusLine: string;
  readonly head: string;
}

/**
 * Sends only a request head declaring `declaredBytes` of body, then waits for the response head:
 * a server that rejects by size must answer without waiting for the body.
 */
export function declareAndWait(options: {
  readonly port: number;
  readonly path: string;
  readonly declaredBytes: number;
  readonly timeoutMs?: number;
}): Promise<DeclaredOnlyOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: options.port, host: '127.0.0.1' });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response head within ${options.timeoutMs ?? 5_000} ms`));
    }, options.timeoutMs ?? 5_000);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      received += data;
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      const head = received.slice(0, end + 2);
      resolve({ statusLine: head.slice(0, head.indexOf('\r\n')), head });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(
      `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: application/activity+json\r\nContent-Length: ${options.declaredBytes}\r\n\r\n`,
    );
  });
}
