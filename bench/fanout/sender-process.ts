// A sender under test, as a process of its own so that its CPU and peak RSS are its own. The
// benchmark forks one per phase and calls:
//
//   ceiling      {threads, seconds}: RSA-2048 signatures/s with one signing thread per core.
//   idealInit    {threads, concurrency, connections}: worker threads that only sign and POST;
//                answers the key the fleet must trust.
//   idealRound   {activityId, inboxes}: one Create to every inbox, split over the threads.
//   fedifyInit   {parallel}: bare Fedify (fedify-sender.ts), answers its key.
//   fedifyRound  {activityId, inboxes}: ctx.sendActivity to every inbox (returns once queued).
//   fedifyErrors delivery errors Fedify reported.
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createActivityJson } from './activity.js';
import type { FedifySender } from './fedify-sender.js';
import { monoMs, serve } from './rpc.js';
import type { SendRound, SendRoundResult, WorkerSetup } from './sender-worker.js';

const WORKER = fileURLToPath(new URL('./sender-worker.js', import.meta.url));

/** The ideal sender's identity: a made-up actor whose key the fleet is told to trust. */
const IDEAL_ACTOR = 'http://ideal.bench.test/users/ideal';

export interface SenderKey {
  readonly keyId: string;
  readonly owner: string;
  readonly publicKeyPem: string;
}

export interface CeilingResult {
  readonly threads: number;
  readonly seconds: number;
  readonly signatures: number;
  readonly perS: number;
  readonly perThreadPerS: number[];
}

export interface RoundResult {
  /** Monotonic ms when sending began. */
  readonly startedAt: number;
  /** Monotonic ms when the last answer came (ideal) or sendActivity returned (Fedify). */
  readonly endedAt: number;
  readonly bodyBytes: number;
  readonly statuses?: Record<string, number>;
  readonly errors?: string[];
}

function rsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

function once<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    worker.once('error', onError);
    worker.once('message', (value: T) => {
      worker.off('error', onError);
      resolve(value);
    });
  });
}

async function ceiling(p: { threads: number; seconds: number }): Promise<CeilingResult> {
  const { privateKeyPem } = rsaKeyPair();
  const workers = Array.from(
    { length: p.threads },
    () =>
      new Worker(WORKER, {
        workerData: { mode: 'sign', privateKeyPem, seconds: p.seconds } satisfies WorkerSetup,
      }),
  );
  const results = await Promise.all(
    workers.map((w) => once<{ signatures: number; ms: number }>(w)),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  const perThreadPerS = results.map((r) => Math.round((r.signatures / r.ms) * 1000));
  return {
    threads: p.threads,
    seconds: p.seconds,
    signatures: results.reduce((s, r) => s + r.signatures, 0),
    perS: perThreadPerS.reduce((a, b) => a + b, 0),
    perThreadPerS,
  };
}

let idealWorkers: Worker[] = [];

function idealInit(p: { threads: number; concurrency: number; connections: number }): SenderKey {
  const { privateKeyPem, publicKeyPem } = rsaKeyPair();
  const keyId = `${IDEAL_ACTOR}#main-key`;
  const perThread = Math.max(1, Math.round(p.concurrency / p.threads));
  idealWorkers = Array.from(
    { length: p.threads },
    () =>
      new Worker(WORKER, {
        workerData: {
          mode: 'send',
          privateKeyPem,
          keyId,
          concurrency: perThread,
          connections: p.connections,
        } satisfies WorkerSetup,
      }),
  );
  return { keyId, owner: IDEAL_ACTOR, publicKeyPem };
}

async function idealRound(p: { activityId: string; inboxes: string[] }): Promise<RoundResult> {
  const body = Buffer.from(createActivityJson(p.activityId, IDEAL_ACTOR));
  // Interleaved, so that the threads finish together.
  const shares = idealWorkers.map((_, t) =>
    p.inboxes.filter((_inbox, i) => i % idealWorkers.length === t),
  );
  const startedAt = monoMs();
  const results = await Promise.all(
    idealWorkers.map((w, t) => {
      const answer = once<SendRoundResult>(w);
      w.postMessage({ body, inboxes: shares[t] ?? [] } satisfies SendRound);
      return answer;
    }),
  );
  const endedAt = monoMs();
  const statuses: Record<string, number> = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  return {
    startedAt,
    endedAt,
    bodyBytes: body.length,
    statuses,
    errors: results.flatMap((r) => r.errors).slice(0, 10),
  };
}

let fedify: FedifySender | undefined;

async function fedifyInit(p: { parallel: number }): Promise<SenderKey> {
  const { startFedifySender } = await import('./fedify-sender.js');
  fedify = await startFedifySender(p.parallel);
  return { keyId: fedify.keyId, owner: fedify.owner, publicKeyPem: fedify.publicKeyPem };
}

async function fedifyRound(p: { activityId: string; inboxes: string[] }): Promise<RoundResult> {
  if (fedify === undefined) throw new Error('fedifyInit first');
  const startedAt = monoMs();
  await fedify.send(p.activityId, p.inboxes);
  return { startedAt, endedAt: monoMs(), bodyBytes: 0 };
}

serve(
  {
    ceiling,
    idealInit,
    idealRound,
    fedifyInit,
    fedifyRound,
    fedifyErrors: () => fedify?.errors() ?? { count: 0, first: [] },
  },
  async () => {
    for (const w of idealWorkers) w.postMessage('close');
    await Promise.all(idealWorkers.map((w) => w.terminate()));
  },
);
