// Closed-loop HTTP load: `concurrency` clients on keep-alive connections, each posting the next
// pre-built body as soon as its previous request is answered.
import { Agent, request } from 'node:http';
import { msBetween, now } from './stats.js';

export interface LoadResult {
  readonly wallMs: number;
  /** Per-request latency, ms, in body order. */
  readonly latencyMs: number[];
  /** Response status → count (0: the request failed without a response). */
  readonly statuses: Record<string, number>;
  /** `outcome` field of 202 answers → count. */
  readonly outcomes: Record<string, number>;
  readonly errors: string[];
}

export interface LoadOptions {
  readonly port: number;
  readonly path: string;
  readonly token: string;
  readonly bodies: readonly Buffer[];
  readonly concurrency: number;
}

export async function postAll(options: LoadOptions): Promise<LoadResult> {
  const { port, path, token, bodies, concurrency } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencyMs = new Array<number>(bodies.length).fill(Number.NaN);
  const statuses: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const errors: string[] = [];
  const authorization = `Bearer ${token}`;

  const post = (body: Buffer): Promise<{ status: number; text: string }> =>
    new Promise((resolve) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: {
            authorization,
            'content-type': 'application/json',
            'content-length': body.length,
          },
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
      req.on('error', (e) => {
        resolve({ status: 0, text: e.message });
      });
      req.end(body);
    });

  let next = 0;
  const client = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const body = bodies[i];
      if (body === undefined) return;
      const t0 = now();
      const { status, text } = await post(body);
      latencyMs[i] = msBetween(t0, now());
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 202) {
        const outcome = /"outcome":"([a-z]+)"/.exec(text)?.[1] ?? '?';
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } else if (errors.length < 5) {
        errors.push(`${status}: ${text.slice(0, 300)}`);
      }
    }
  };

  const t0 = now();
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, client));
  const wallMs = msBetween(t0, now());
  agent.destroy();
  return { wallMs, latencyMs, statuses, outcomes, errors };
}
