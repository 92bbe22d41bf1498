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

/** What {@link keepSendingAfterEarlyResponse} saw. */
export interface EarlyResponseOutcome {
  /** Status line of the early response, e.g. `HTTP/1.1 413 Payload Too Large`. */
  readonly statusLine: string;
  /** `clean` when the rest of the body went out and the connection closed without error. */
  readonly afterResponse: string;
}

/**
 * Declares a body of `bytes` bytes, sends the first 64 KiB, reads the server's (early) response
 * in full, waits for the server's FIN (or 300 ms), and only then sends the rest of the body — what a client that does not watch for early
 * responses (fetch/undici, most fediverse servers) does when the response is quick. A server that
 * closes at once turns those bytes into a TCP reset (EPIPE/ECONNRESET here); one that keeps reading
 * until the client is done (RFC 9112 §9.6) lets the upload finish and closes cleanly.
 */
export function keepSendingAfterEarlyResponse(options: {
  readonly port: number;
  readonly path: string;
  readonly bytes: number;
  readonly timeoutMs?: number;
}): Promise<EarlyResponseOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: options.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = Buffer.alloc(0);
    let statusLine: string | undefined;
    let failure: string | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no outcome within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);

    const sendRest = (): void => {
      let sent = CHUNK.length;
      const next = (): void => {
        if (socket.destroyed) return;
        if (sent >= options.bytes) {
          socket.end();
          return;
        }
        const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, options.bytes - sent));
        sent += chunk.length;
        socket.write(chunk, () => {
          setImmediate(next);
        });
      };
      next();
    };

    socket.on('data', (data: Buffer) => {
      if (statusLine !== undefined) return;
      received = Buffer.concat([received, data]);
      const text = received.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headEnd))?.[1]);
      if (!Number.isFinite(length) || received.length < headEnd + 4 + length) return;
      statusLine = text.slice(0, text.indexOf('\r\n'));
      // Give a closing server time to close (its FIN, then a moment); a server that keeps the
      // connection open gets the rest after a short pause.
      const pause = setTimeout(sendRest, 300);
      socket.once('end', () => {
        clearTimeout(pause);
        setTimeout(sendRest, 50);
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code ?? err.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (statusLine === undefined) {
        reject(new Error(`connection closed before a response (${failure ?? 'no error'})`));
        return;
      }
      resolve({ statusLine, afterResponse: failure ?? 'clean' });
    });
    socket.write(
      Buffer.concat([
        Buffer.from(
          `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            `Content-Type: application/activity+json\r\nContent-Length: ${options.bytes}\r\n\r\n`,
        ),
        CHUNK,
      ]),
    );
  });
}
