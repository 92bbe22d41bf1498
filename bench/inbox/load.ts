// Closed-loop inbox load: `concurrency` clients on keep-alive connections, each POSTing the next
// pre-signed reply as soon as its previous one is answered, with exactly the headers that were
// signed (Host included). Times are ms on the monotonic clock from the first request.
import { Agent, request } from 'node:http';
import type { SignedReply } from './replies.js';

export interface InboxLoadResult {
  /** `Date.now()` when the first request went out: where the database's clock starts. */
  readonly startedAtWall: number;
  /** From the first request to the last answer. */
  readonly wallMs: number;
  /** Per reply, in input order: latency (request written → answer read), ms. */
  readonly latencyMs: Float64Array;
  /** Per reply: when its answer was read, ms after the first request. */
  readonly answeredAtMs: Float64Array;
  /** Per reply: the status (0: no answer). */
  readonly status: Uint16Array;
  /** The last 202, ms after the first request. */
  readonly lastAcceptedMs: number;
  /** Status → count. */
  readonly statuses: Record<string, number>;
  /** The first few answers that were not 202. */
  readonly errors: string[];
}

export interface InboxLoadOptions {
  /** The inbox URL the replies were signed for. */
  readonly inbox: string;
  readonly replies: readonly SignedReply[];
  readonly concurrency: number;
  /** Per-request deadline. */
  readonly timeoutMs?: number;
}

export async function postReplies(options: InboxLoadOptions): Promise<InboxLoadResult> {
  const { replies, concurrency } = options;
  const url = new URL(options.inbox);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const n = replies.length;
  const latencyMs = new Float64Array(n).fill(Number.NaN);
  const answeredAtMs = new Float64Array(n).fill(Number.NaN);
  const status = new Uint16Array(n);
  const statuses: Record<string, number> = {};
  const errors: string[] = [];

  const post = (reply: SignedReply): Promise<{ status: number; text: string }> =>
    new Promise((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          method: 'POST',
          headers: reply.headers,
          setHost: false,
          timeout: options.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (e) => {
            resolve({ status: 0, text: e.message });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => {
        resolve({ status: 0, text: e.message });
      });
      req.end(reply.body);
    });

  const t0 = performance.now();
  const startedAtWall = Date.now();
  let lastAcceptedMs = Number.NaN;
  let next = 0;
  const client = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const reply = replies[i];
      if (reply === undefined) return;
      const sent = performance.now();
      const answer = await post(reply);
      const done = performance.now();
      latencyMs[i] = done - sent;
      answeredAtMs[i] = done - t0;
      status[i] = answer.status;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 202) {
        lastAcceptedMs = done - t0;
      } else if (errors.length < 5) {
        errors.push(`${answer.status}: ${answer.text.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, client));
  const wallMs = performance.now() - t0;
  agent.destroy();
  return {
    startedAtWall,
    wallMs,
    latencyMs,
    answeredAtMs,
    status,
    lastAcceptedMs,
    statuses,
    errors,
  };
}
