// A worker thread of the sender process (sender-process.ts), in one of two modes:
//
//   sign  the RSA ceiling: RSA-2048 SHA-256 signatures of a typical signing string, back to back,
//         for `seconds`; answers how many.
//   send  the ideal sender: for each inbox of a round, a draft-cavage signed POST (SHA-256 digest
//         and signature made per request, synchronously on this thread) over an undici Agent
//         (keep-alive, `connections` per host), `concurrency` requests in flight.
import { createPrivateKey, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { signedPostHeaders, typicalSigningString } from './activity.js';

export type WorkerSetup =
  | { readonly mode: 'sign'; readonly privateKeyPem: string; readonly seconds: number }
  | {
      readonly mode: 'send';
      readonly privateKeyPem: string;
      readonly keyId: string;
      readonly concurrency: number;
      readonly connections: number;
    };

/** A round of the ideal sender: one body to every inbox listed. */
export interface SendRound {
  readonly body: Uint8Array;
  readonly inboxes: readonly string[];
}

export interface SendRoundResult {
  readonly sent: number;
  /** HTTP status (or error code) → count. */
  readonly statuses: Record<string, number>;
  readonly errors: string[];
}

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('sender-worker runs as a worker thread');
const privateKey = createPrivateKey(setup.privateKeyPem);

if (setup.mode === 'sign') {
  const data = Buffer.from(typicalSigningString());
  const started = performance.now();
  const until = started + setup.seconds * 1000;
  let signatures = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 10; i++) sign('sha256', data, privateKey);
    signatures += 10;
  }
  port.postMessage({ signatures, ms: performance.now() - started });
} else {
  const { keyId, concurrency, connections } = setup;
  const agent = new Agent({ connections, keepAliveTimeout: 4_000, pipelining: 1 });
  let dateSecond = 0;
  let date = '';
  const httpDate = (): string => {
    const s = Math.floor(Date.now() / 1000);
    if (s !== dateSecond) {
      dateSecond = s;
      date = new Date(s * 1000).toUTCString();
    }
    return date;
  };

  const round = async ({ body, inboxes }: SendRound): Promise<SendRoundResult> => {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const statuses: Record<string, number> = {};
    const errors: string[] = [];
    const count = (key: string): void => {
      statuses[key] = (statuses[key] ?? 0) + 1;
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        const inbox = inboxes[next++];
        if (inbox === undefined) return;
        const url = new URL(inbox);
        const headers = signedPostHeaders(url, bytes, keyId, privateKey, httpDate());
        try {
          const res = await agent.request({
            origin: url.origin,
            path: url.pathname,
            method: 'POST',
            headers,
            body: bytes,
          });
          await res.body.dump();
          count(String(res.statusCode));
          if (res.statusCode >= 300 && errors.length < 10) {
            errors.push(`${inbox}: HTTP ${res.statusCode}`);
          }
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'error';
          count(code);
          if (errors.length < 10) errors.push(`${inbox}: ${String(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    return { sent: inboxes.length, statuses, errors };
  };

  port.on('message', (message: SendRound | 'close') => {
    if (message === 'close') {
      void agent.close().finally(() => {
        port.close();
      });
      return;
    }
    void round(message).then((result) => {
      port.postMessage(result);
    });
  });
}
