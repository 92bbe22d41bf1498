// One process of the receiving fleet (see fleet.ts): `count` inboxes, each a TCP listener on its
// own 127.0.0.1 port (so every inbox is a distinct host:port to the sender), all feeding one HTTP
// server. `POST /inbox` answers 202 and records, per activity id, when each inbox got it and how
// many times; every `verifyEvery`-th request's draft-cavage signature is verified against the keys
// the parent trusts (401 and a recorded failure when it does not verify).
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createPublicKey } from 'node:crypto';
import { createServer as createTcpServer, type Server } from 'node:net';
import { verifyCavage } from '../../test/support/remote-peer/cavage.js';
import type { KeyLookup, KeySource, ResolvedKey } from '../../test/support/remote-peer/keys.js';
import { fieldsFromRawHeaders, type HttpMessage } from '../../test/support/remote-peer/message.js';
import { monoMs, serve } from './rpc.js';

/** What the parent sends to start this process's inboxes. */
export interface FleetInit {
  /** Global index of this process's first inbox. */
  readonly firstIndex: number;
  readonly count: number;
  /** Ports tried in order from here, skipping ports in use, up to `lastPort`. */
  readonly firstPort: number;
  readonly lastPort: number;
  readonly verifyEvery: number;
}

/** Arrivals of one activity at this process's inboxes. */
export interface ActivityArrivals {
  readonly id: string;
  readonly type: string;
  readonly actor: string;
  readonly bodyBytes: number;
  /** Per local inbox: monotonic ms of the first complete request (NaN: none). */
  readonly firstAt: Float64Array;
  /** Per local inbox: requests received. */
  readonly count: Uint32Array;
  readonly total: number;
  readonly distinct: number;
  readonly verified: number;
  readonly failed: number;
  /** The first few verification failures, with the inbox index. */
  readonly failures: string[];
}

interface Record_ {
  id: string;
  type: string;
  actor: string;
  bodyBytes: number;
  firstAt: Float64Array;
  count: Uint32Array;
  total: number;
  distinct: number;
  verified: number;
  failed: number;
  failures: string[];
}

/** Failures that are not about one activity (no id, bad JSON, wrong path). */
const strays: string[] = [];
let strayCount = 0;
const records = new Map<string, Record_>();
const trusted = new Map<string, ResolvedKey>();
const keys: KeySource = {
  resolve(keyId: string): Promise<KeyLookup> {
    const key = trusted.get(keyId);
    return Promise.resolve(
      key === undefined
        ? { ok: false, reason: `keyId ${keyId} is not one the benchmark trusts` }
        : { ok: true, key, cached: false },
    );
  },
};
const policy = {
  now: () => new Date(),
  clockSkewMs: 3_600_000,
  acceptPathOnlyRequestTarget: false,
};

let init: FleetInit | undefined;
let requests = 0;
const portToIndex = new Map<number, number>();
const listeners: Server[] = [];

function stray(reason: string): void {
  strayCount += 1;
  if (strays.length < 20) strays.push(reason);
}

function recordFor(id: string, type: string, actor: string, bytes: number, n: number): Record_ {
  let r = records.get(id);
  if (r === undefined) {
    r = {
      id,
      type,
      actor,
      bodyBytes: bytes,
      firstAt: new Float64Array(n).fill(Number.NaN),
      count: new Uint32Array(n),
      total: 0,
      distinct: 0,
      verified: 0,
      failed: 0,
      failures: [],
    };
    records.set(id, r);
  }
  return r;
}

async function onInbox(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  at: number,
): Promise<void> {
  const { count, firstIndex, verifyEvery } = init as FleetInit;
  const local = portToIndex.get(req.socket.localPort ?? -1);
  if (local === undefined) {
    stray(`request on unknown port ${String(req.socket.localPort)}`);
    res.writeHead(404).end();
    return;
  }
  let activity: { id?: unknown; type?: unknown; actor?: unknown };
  try {
    activity = JSON.parse(body.toString('utf8')) as typeof activity;
  } catch {
    stray(`inbox ${firstIndex + local}: body is not JSON`);
    res.writeHead(400).end();
    return;
  }
  if (typeof activity.id !== 'string') {
    stray(`inbox ${firstIndex + local}: activity without id`);
    res.writeHead(400).end();
    return;
  }
  const actor = typeof activity.actor === 'string' ? activity.actor : '';
  const r = recordFor(activity.id, String(activity.type), actor, body.length, count);
  requests += 1;
  if (requests % verifyEvery === 0) {
    const message: HttpMessage = {
      method: req.method ?? 'POST',
      targetUri: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
      requestTarget: req.url ?? '/',
      fields: fieldsFromRawHeaders(req.rawHeaders),
      body,
    };
    const verdict = await verifyCavage(message, keys, policy);
    const problem = !verdict.ok
      ? (verdict.reason ?? 'rejected')
      : verdict.owner !== actor
        ? `signed by ${String(verdict.owner)}, but the activity's actor is ${actor}`
        : undefined;
    if (problem !== undefined) {
      r.failed += 1;
      if (r.failures.length < 10) r.failures.push(`inbox ${firstIndex + local}: ${problem}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end(problem);
      return;
    }
    r.verified += 1;
  }
  r.total += 1;
  const seen = r.count[local] ?? 0;
  r.count[local] = seen + 1;
  if (seen === 0) {
    r.distinct += 1;
    r.firstAt[local] = at;
  }
  res.writeHead(202).end();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'POST' || req.url !== '/inbox') {
    stray(`${String(req.method)} ${String(req.url)}`);
    req.resume();
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = monoMs();
    onInbox(req, res, Buffer.concat(chunks), at).catch((error: unknown) => {
      stray(`handler error: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}

function listenOn(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => {
      resolve(false);
    };
    server.once('error', onError);
    server.listen({ port, host: '127.0.0.1', backlog: 128 }, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

async function start(payload: FleetInit): Promise<{ ports: number[] }> {
  init = payload;
  const http = createHttpServer({ keepAliveTimeout: 5_000 }, handle);
  const ports: number[] = [];
  let port = payload.firstPort;
  while (ports.length < payload.count) {
    if (port > payload.lastPort) {
      throw new Error(
        `only ${ports.length} free ports in ${payload.firstPort}–${payload.lastPort}`,
      );
    }
    const tcp = createTcpServer((socket) => http.emit('connection', socket));
    if (await listenOn(tcp, port)) {
      portToIndex.set(port, ports.length);
      ports.push(port);
      listeners.push(tcp);
    }
    port += 1;
  }
  return { ports };
}

function snapshot(r: Record_): ActivityArrivals {
  return { ...r, failures: [...r.failures] };
}

serve(
  {
    start,
    trust: (p: { keyId: string; owner: string; pem: string }) => {
      trusted.set(p.keyId, { keyId: p.keyId, owner: p.owner, publicKey: createPublicKey(p.pem) });
      return true;
    },
    setVerifyEvery: (every: number) => {
      if (init !== undefined) init = { ...init, verifyEvery: every };
      return true;
    },
    /** Totals per activity id, and stray requests. */
    progress: () => ({
      activities: [...records.values()].map((r) => ({
        id: r.id,
        total: r.total,
        distinct: r.distinct,
        failed: r.failed,
      })),
      strays: strayCount,
    }),
    arrivals: (id: string) => {
      const r = records.get(id);
      return r === undefined ? null : snapshot(r);
    },
    strays: () => ({ count: strayCount, first: [...strays] }),
  },
  async () => {
    await Promise.all(
      listeners.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.close(() => {
              resolve();
            });
          }),
      ),
    );
  },
);
