/**
 * The peer's HTTP listener: reads each request whole (up to 1 MiB, then 413 like Mastodon), hands
 * it to a handler as an {@link IncomingRequest}, writes the {@link Reply}. It can be taken down
 * (connections refused) and brought back up on the same port.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type HttpMessage, combineLines, fieldsFromRawHeaders } from './message.js';

/** Largest accepted body (Mastodon's inbox limit). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request read to the end. */
export interface IncomingRequest extends HttpMessage {
  /** Lower-case header names with their combined values. */
  readonly headers: Readonly<Record<string, string>>;
  /** Node's `rawHeaders`: name, value, name, value… as received. */
  readonly rawHeaders: readonly string[];
  readonly receivedAt: Date;
}

/** What the handler answers. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Handles a request; `oversized` is set (and `body` empty) when the body went past the limit. */
export type RequestHandler = (request: IncomingRequest, oversized: boolean) => Promise<Reply>;

/** An http.Server on 127.0.0.1 that can refuse connections for a while. */
export class PeerListener {
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly handler: RequestHandler) {}

  /** Listens (on an ephemeral port the first time, on the same port afterwards). */
  async listen(): Promise<number> {
    if (this.server) return this.port;
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Stops listening and drops open connections: new connections are refused. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeAllConnections();
    await closed;
  }

  /** Whether it is listening. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const { body, oversized } = await readBody(req);
      reply = await this.handler(toIncoming(req, body, this.port), oversized);
    } catch (error) {
      reply = { status: 500, body: error instanceof Error ? error.message : String(error) };
    }
    if (res.destroyed) return;
    res.writeHead(reply.status, { ...reply.headers });
    res.end(reply.body);
  }
}

async function readBody(req: IncomingMessage): Promise<{ body: Buffer; oversized: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let oversized = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) oversized = true;
    if (!oversized) chunks.push(chunk);
  }
  return { body: oversized ? Buffer.alloc(0) : Buffer.concat(chunks), oversized };
}

function toIncoming(req: IncomingMessage, body: Buffer, port: number): IncomingRequest {
  const fields = fieldsFromRawHeaders(req.rawHeaders);
  const requestTarget = req.url ?? '/';
  const host = combineLines(fields.get('host')) ?? `127.0.0.1:${port}`;
  let targetUri: URL;
  try {
    targetUri = new URL(requestTarget, `http://${host}`);
  } catch {
    targetUri = new URL(requestTarget, `http://127.0.0.1:${port}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, lines] of fields) headers[name] = combineLines(lines) ?? '';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    targetUri,
    requestTarget,
    fields,
    body,
    headers,
    rawHeaders: [...req.rawHeaders],
    receivedAt: new Date(),
  };
}
