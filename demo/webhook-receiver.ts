/**
 * The platform's side of comment webhooks, as docs/comments.md tells a receiver to be: a JWS in
 * compact serialization, verified with jose's `compactVerify` (HS256, `COMMENT_WEBHOOK_SECRET`),
 * `iat` in the protected header at most 5 minutes off, deduplicated by event id.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify } from 'jose';

/** The fields of a comment event the demo reads. */
export interface CommentEvent {
  readonly id: string;
  readonly type: string;
  readonly article: { readonly platformId: string };
  readonly comment: {
    readonly id: string;
    readonly apId: string;
    readonly status: string;
    readonly contentText: string;
    readonly author: { readonly handle: string };
  };
}

/** A webhook that verified. */
export interface ReceivedHook {
  readonly event: CommentEvent;
  /** The JWS protected header's `alg` and `iat`. */
  readonly alg: string;
  readonly iat: number;
  readonly receivedAt: number;
}

const PATH = '/hooks/comments';
const MAX_SKEW_S = 300;
const MAX_BODY = 1024 * 1024;

/** Receives comment webhooks on a free port of 127.0.0.1. */
export class WebhookReceiver {
  /** Verified events, in arrival order, each id once. */
  readonly hooks: ReceivedHook[] = [];
  /** Why bodies were refused (401), in arrival order. */
  readonly refused: string[] = [];
  readonly url: string;
  private readonly key: Uint8Array;

  private constructor(
    private readonly server: Server,
    secret: string,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
    this.key = new TextEncoder().encode(secret);
  }

  static async start(secret: string): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    const receiver = new WebhookReceiver(server, secret);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void receiver.handle(req, res);
    });
    return receiver;
  }

  /** The verified event of `type` about the comment whose ActivityPub id is `apId`. */
  find(type: string, apId: string): ReceivedHook | undefined {
    return this.hooks.find((h) => h.event.type === type && h.event.comment.apId === apId);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    if (req.method !== 'POST' || new URL(req.url ?? '/', this.url).pathname !== PATH) {
      res.writeHead(404).end();
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      this.refuse(res, 413, error instanceof Error ? error.message : String(error));
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/jose')) {
      this.refuse(res, 415, `content type ${String(req.headers['content-type'])}`);
      return;
    }
    let verified: Awaited<ReturnType<typeof compactVerify>>;
    try {
      verified = await compactVerify(body, this.key, { algorithms: ['HS256'] });
    } catch (error) {
      this.refuse(res, 401, `JWS not verified: ${error instanceof Error ? error.message : ''}`);
      return;
    }
    const { iat, alg } = verified.protectedHeader;
    if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > MAX_SKEW_S) {
      this.refuse(res, 401, `iat ${String(iat)} is missing or more than 5 minutes off`);
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(new TextDecoder().decode(verified.payload));
    } catch {
      this.refuse(res, 400, 'the payload is not JSON');
      return;
    }
    if (!isCommentEvent(event)) {
      this.refuse(res, 400, 'the payload is not a comment event');
      return;
    }
    if (!this.hooks.some((h) => h.event.id === event.id)) {
      this.hooks.push({ event, alg, iat, receivedAt: Date.now() });
    }
    res.writeHead(204).end();
  }

  private refuse(res: ServerResponse, status: number, reason: string): void {
    this.refused.push(reason);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body larger than 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', reject);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCommentEvent(value: unknown): value is CommentEvent {
  if (!isObject(value) || !isObject(value.article) || !isObject(value.comment)) return false;
  const { comment } = value;
  return (
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    typeof value.article.platformId === 'string' &&
    typeof comment.id === 'string' &&
    typeof comment.apId === 'string' &&
    typeof comment.status === 'string' &&
    typeof comment.contentText === 'string' &&
    isObject(comment.author) &&
    typeof comment.author.handle === 'string'
  );
}
