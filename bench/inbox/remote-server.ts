// The remote side of the inbox benchmark: one loopback HTTP server standing for a fediverse server
// with K accounts (`/users/u0` … `/users/u{K-1}`), each with its own RSA-2048 key pair, serving
// their Person documents (test/support/remote-peer/activities.ts `personDocument`) so that the
// bridge can fetch the keys and authors of the replies it is sent. Documents are serialized once;
// every request is counted by kind, so the benchmark can say what the bridge fetched.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import {
  ACTIVITY_JSON,
  type PeerIdentity,
  personDocument,
} from '../../test/support/remote-peer/activities.js';
import type { SigningIdentity } from '../../test/support/remote-peer/client.js';

const generateRsa = promisify(generateKeyPair);

/** One remote account: what its documents say, and how it signs. */
export interface RemoteActor {
  readonly identity: PeerIdentity;
  readonly signer: SigningIdentity;
}

/** Requests the server answered, by kind (`GET actor`, `GET other`, `POST`, …). */
export type RequestCounts = Record<string, number>;

const ACTOR_PATH = /^\/users\/u(\d+)$/;

/** Answers one request from the served documents, counting it in `counts`. */
function answer(
  documents: ReadonlyMap<string, Buffer>,
  counts: RequestCounts,
  method: string,
  path: string,
  res: ServerResponse,
): void {
  const count = (kind: string): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  if (method === 'POST') {
    count('POST');
    res.writeHead(202).end();
    return;
  }
  const document = documents.get(path);
  if (method === 'GET' && document !== undefined) {
    count('GET actor');
    res.writeHead(200, { 'content-type': ACTIVITY_JSON, 'content-length': document.length });
    res.end(document);
    return;
  }
  count(`${method} ${ACTOR_PATH.test(path) ? 'unknown actor' : 'other'}`);
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
}

/** K accounts on one loopback server. */
export class RemoteServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    readonly actors: readonly RemoteActor[],
    private readonly served: RequestCounts,
  ) {}

  /**
   * Generates `actors` RSA-2048 key pairs (in libuv's thread pool) and starts serving their
   * documents on an ephemeral port of 127.0.0.1.
   */
  static async start(actors: number): Promise<RemoteServer> {
    const documents = new Map<string, Buffer>();
    const counts: RequestCounts = {};
    const server = createServer((req, res) => {
      answer(documents, counts, req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', res);
      req.resume();
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    const pairs = await Promise.all(
      Array.from({ length: actors }, () => generateRsa('rsa', { modulusLength: 2048 })),
    );
    const list = pairs.map(({ publicKey, privateKey }, i): RemoteActor => {
      const actorUrl = `${origin}/users/u${i}`;
      const identity: PeerIdentity = {
        origin,
        domain: `127.0.0.1:${port}`,
        username: `u${i}`,
        actorUrl,
        keyId: `${actorUrl}#main-key`,
        publicKeyPem: pem(publicKey),
        alsoKnownAs: [],
      };
      documents.set(`/users/u${i}`, Buffer.from(JSON.stringify(personDocument(identity))));
      return { identity, signer: { keyId: identity.keyId, privateKey } };
    });
    return new RemoteServer(server, origin, list, counts);
  }

  /** Requests answered so far, by kind. */
  counts(): RequestCounts {
    return { ...this.served };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

/** Counts in `after` minus those in `before`. */
export function countsSince(before: RequestCounts, after: RequestCounts): RequestCounts {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
}

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
