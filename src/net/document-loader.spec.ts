import assert from 'node:assert/strict';
import type { webcrypto } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type DocumentLoader, FetchError, fetchKeyDetailed, verifyRequest } from '@fedify/fedify';
import { CryptographicKey, Person } from '@fedify/fedify/vocab';
import {
  createAuthenticatedDocumentLoaderFactory,
  createContextLoader,
  createContextLoaderFactory,
  createDocumentLoader,
  DocumentLoaderError,
  type DocumentRejection,
  mediaType,
} from './document-loader.js';
import { SafeFetch } from './safe-fetch.js';
import { closedPort, startServer, type TestServer } from './test-server.js';

const AP = 'application/activity+json';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves `routes` by path; anything else is 404. */
let routes = new Map<string, Route>();
let server: TestServer;
let client: SafeFetch;

function json(type: string | null, body: unknown, status = 200): Route {
  return (_req, res) => {
    res.writeHead(status, type === null ? {} : { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/** An ActivityPub object whose id is the server URL of `path`. */
const object = (path: string, extra: Record<string, unknown> = {}) => ({
  '@context': 'https://www.w3.org/ns/activitystreams',
  id: server.url(path),
  type: 'Note',
  ...extra,
});

/** An RSA key pair as Fedify signs with (2048 bits: quicker than Fedify's own generator). */
function rsaKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
}

async function rejection(
  promise: Promise<unknown>,
  reason: DocumentRejection,
): Promise<DocumentLoaderError> {
  const error = await promise.then(
    () => assert.fail(`expected a rejection (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DocumentLoaderError, `not a DocumentLoaderError: ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  return error;
}

before(async () => {
  server = await startServer((req, res) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  client = new SafeFetch({ allowPrivateAddresses: true, userAgent: 'spec/1' });
});

after(async () => {
  await client.close();
  await server.close();
});

describe('createDocumentLoader', () => {
  let load: DocumentLoader;
  before(() => {
    load = createDocumentLoader(client);
  });

  it('loads an ActivityPub document served from its id, asking for ActivityPub types', async () => {
    let accept: string | undefined;
    routes = new Map([
      [
        '/note',
        (req, res) => {
          accept = req.headers.accept;
          json(AP, object('/note'))(req, res);
        },
      ],
    ]);
    const remote = await load(server.url('/note'));
    assert.deepEqual(remote, {
      contextUrl: null,
      document: object('/note'),
      documentUrl: server.url('/note'),
    });
    assert.equal(
      accept,
      'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    );
  });

  it('accepts both ActivityPub media types, in any case and with parameters', async () => {
    for (const type of [
      'application/activity+json; charset=utf-8',
      'Application/LD+JSON; profile="https://www.w3.org/ns/activitystreams"',
      'application/ld+json',
    ]) {
      routes = new Map([['/typed', json(type, object('/typed'))]]);
      assert.equal((await load(server.url('/typed'))).documentUrl, server.url('/typed'), type);
    }
  });

  it('rejects JSON served with a non-ActivityPub content type', async () => {
    for (const type of [
      'application/json',
      'text/html',
      'text/plain; x=application/ld+json',
      null,
    ]) {
      routes = new Map([['/typed', json(type, object('/typed'))]]);
      await rejection(load(server.url('/typed')), 'content-type');
    }
  });

  it('rejects a body that is not JSON', async () => {
    routes = new Map([['/broken', json(AP, '{"id":')]]);
    await rejection(load(server.url('/broken')), 'invalid-json');
  });

  it('ignores the fragment of the requested URL (key ids)', async () => {
    routes = new Map([['/actor', json(AP, object('/actor'))]]);
    const remote = await load(server.url('/actor#main-key'));
    assert.equal(remote.documentUrl, server.url('/actor'));
    assert.deepEqual(server.paths.slice(-1), ['/actor']);
  });

  it('refetches a document by its id when that differs from the URL fetched', async () => {
    routes = new Map([
      ['/alias', json(AP, object('/canonical', { content: 'from alias' }))],
      ['/canonical', json(AP, object('/canonical', { content: 'from canonical' }))],
    ]);
    const remote = await load(server.url('/alias'));
    assert.equal(remote.documentUrl, server.url('/canonical'));
    assert.equal((remote.document as { content: string }).content, 'from canonical');
    assert.deepEqual(server.paths.slice(-2), ['/alias', '/canonical']);
  });

  it('rejects when the refetched document does not carry that id either', async () => {
    routes = new Map([
      ['/liar', json(AP, object('/claimed'))],
      ['/claimed', json(AP, object('/third'))],
      ['/third', json(AP, object('/third'))],
    ]);
    await rejection(load(server.url('/liar')), 'id-mismatch');
    assert.deepEqual(server.paths.slice(-2), ['/liar', '/claimed']);
  });

  it('rejects when the claimed id only redirects to a document claiming it', async () => {
    routes = new Map([
      ['/forged', json(AP, object('/victim'))],
      [
        '/victim',
        (_req, res) => {
          res.writeHead(302, { location: '/attacker' }).end();
        },
      ],
      ['/attacker', json(AP, object('/victim'))],
    ]);
    await rejection(load(server.url('/forged')), 'id-mismatch');
  });

  it('rejects an id that is not an absolute URL', async () => {
    routes = new Map([['/odd', json(AP, { ...object('/odd'), id: 42 })]]);
    await rejection(load(server.url('/odd')), 'id-mismatch');
  });

  it('serves preloaded contexts without fetching', async () => {
    const offline = new SafeFetch({
      allowPrivateAddresses: false,
      userAgent: 'spec/1',
      resolve: () => Promise.reject(new Error('no network in this test')),
    });
    const remote = await createDocumentLoader(offline)('https://www.w3.org/ns/activitystreams');
    assert.equal(remote.documentUrl, 'https://www.w3.org/ns/activitystreams');
    assert.ok(typeof remote.document === 'object' && remote.document !== null);
    await offline.close();
  });

  it('throws a Fedify FetchError carrying the response for non-2xx', async () => {
    routes = new Map([['/gone', json(AP, { error: 'Gone' }, 410)]]);
    const error = await rejection(load(server.url('/gone')), 'status');
    assert.ok(error instanceof FetchError);
    assert.equal(error.response?.status, 410);
    assert.equal(error.transient, false);
  });

  it("honours the loader's abort signal", async () => {
    routes = new Map([
      [
        '/slow',
        () => {
          // never answers
        },
      ],
    ]);
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(new Error('aborted by Fedify'));
    }, 50);
    await assert.rejects(load(server.url('/slow'), { signal: controller.signal }), {
      message: 'aborted by Fedify',
    });
  });
});

describe("Fedify's key fetching through the loader", () => {
  let keyPair: webcrypto.CryptoKeyPair;
  let load: DocumentLoader;
  let contexts: DocumentLoader;
  before(async () => {
    keyPair = await rsaKeyPair();
    load = createDocumentLoader(client);
    contexts = createContextLoader(client);
  });

  const fetchKey = (keyId: string, documentLoader = load) =>
    fetchKeyDetailed(keyId, CryptographicKey, { documentLoader, contextLoader: contexts });

  it('finds the key of a served actor', async () => {
    const actor = new Person({
      id: new URL(server.url('/users/alice')),
      preferredUsername: 'alice',
      inbox: new URL(server.url('/users/alice/inbox')),
      publicKey: new CryptographicKey({
        id: new URL(server.url('/users/alice#main-key')),
        owner: new URL(server.url('/users/alice')),
        publicKey: keyPair.publicKey,
      }),
    });
    routes = new Map([['/users/alice', json(AP, await actor.toJsonLd())]]);
    const result = await fetchKey(server.url('/users/alice#main-key'));
    assert.equal(result.key?.id?.href, server.url('/users/alice#main-key'));
    assert.equal(result.fetchError, undefined);
  });

  it('sees 410 Gone as an HTTP status (actor deleted)', async () => {
    routes = new Map([['/users/gone', json(AP, { error: 'Gone' }, 410)]]);
    const result = await fetchKey(server.url('/users/gone#main-key'));
    assert.equal(result.key, null);
    assert.ok(result.fetchError !== undefined && 'status' in result.fetchError);
    assert.equal(result.fetchError.status, 410);
  });

  it('sees 5xx as an HTTP status too, marked transient', async () => {
    routes = new Map([['/users/busy', json(AP, { error: 'busy' }, 503)]]);
    const result = await fetchKey(server.url('/users/busy#main-key'));
    assert.ok(result.fetchError !== undefined && 'status' in result.fetchError);
    assert.equal(result.fetchError.status, 503);
  });

  it('sees a key host that is down as an error, not a status', async () => {
    const port = await closedPort();
    const result = await fetchKey(`http://127.0.0.1:${String(port)}/users/x#main-key`);
    assert.equal(result.key, null);
    assert.ok(result.fetchError !== undefined && 'error' in result.fetchError);
    assert.ok(!('status' in result.fetchError));
    const error = result.fetchError.error;
    assert.ok(error instanceof DocumentLoaderError, String(error));
    assert.equal(error.reason, 'network');
    assert.equal(error.transient, true);
  });

  it('sees a key host that is too slow as a transient error', async () => {
    const slow = new SafeFetch({
      allowPrivateAddresses: true,
      userAgent: 'spec/1',
      totalTimeoutMs: 200,
    });
    routes = new Map([
      [
        '/users/slow',
        () => {
          // never answers
        },
      ],
    ]);
    const result = await fetchKey(server.url('/users/slow#main-key'), createDocumentLoader(slow));
    assert.ok(result.fetchError !== undefined && 'error' in result.fetchError);
    const error = result.fetchError.error;
    assert.ok(error instanceof DocumentLoaderError);
    assert.equal(error.reason, 'timeout');
    assert.equal(error.transient, true);
    await slow.close();
  });
});

describe('createContextLoader', () => {
  it('fetches an unknown context once, as JSON-LD or JSON, and caches it', async () => {
    const context = { '@context': { toot: 'http://joinmastodon.org/ns#' } };
    routes = new Map([['/ns', json('application/json', context)]]);
    const load = createContextLoaderFactory(client)();
    const before = server.paths.length;
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await load(server.url('/ns'))).document, context);
    }
    assert.equal(server.paths.length - before, 1);
  });

  it('shares one cache across the loaders its factory returns', async () => {
    routes = new Map([['/shared', json('application/ld+json', { '@context': {} })]]);
    const factory = createContextLoaderFactory(client);
    const before = server.paths.length;
    await factory()(server.url('/shared'));
    await factory()(server.url('/shared'));
    assert.equal(server.paths.length - before, 1);
  });

  it('evicts the least recently used context past its size', async () => {
    routes = new Map(['/c1', '/c2', '/c3'].map((p) => [p, json('application/json', {})]));
    const load = createContextLoader(client, { cacheSize: 2 });
    await load(server.url('/c1'));
    await load(server.url('/c2'));
    await load(server.url('/c1'));
    await load(server.url('/c3')); // evicts /c2
    const before = server.paths.length;
    await load(server.url('/c1'));
    await load(server.url('/c2'));
    assert.deepEqual(server.paths.slice(before), ['/c2']);
  });

  it('rejects contexts served as HTML', async () => {
    routes = new Map([['/html', json('text/html', { '@context': {} })]]);
    await rejection(createContextLoader(client)(server.url('/html')), 'content-type');
  });

  it('serves the ActivityStreams context without fetching', async () => {
    const before = server.paths.length;
    const remote = await createContextLoader(client)('https://www.w3.org/ns/activitystreams');
    assert.ok(typeof remote.document === 'object' && remote.document !== null);
    assert.equal(server.paths.length, before);
  });
});

describe('createAuthenticatedDocumentLoaderFactory', () => {
  it('signs every hop, re-signing after a redirect', async () => {
    const keyPair = await rsaKeyPair();
    const keyId = new URL('https://bridge.example/users/bot#main-key');
    const keyDocument = await new CryptographicKey({
      id: keyId,
      owner: new URL('https://bridge.example/users/bot'),
      publicKey: keyPair.publicKey,
    }).toJsonLd();
    const keys: DocumentLoader = (url) =>
      Promise.resolve({ contextUrl: null, document: keyDocument, documentUrl: url });
    const contexts = createContextLoader(client);

    const verified: string[] = [];
    const verify = async (req: IncomingMessage): Promise<void> => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      const request = new Request(`http://${req.headers.host ?? ''}${req.url ?? ''}`, { headers });
      const key = await verifyRequest(request, { documentLoader: keys, contextLoader: contexts });
      if (key?.id?.href === keyId.href) verified.push(req.url ?? '');
    };
    routes = new Map<string, Route>([
      [
        '/private/start',
        (req, res) => {
          void verify(req).finally(() => res.writeHead(302, { location: '/private/final' }).end());
        },
      ],
      [
        '/private/final',
        (req, res) => {
          void verify(req).finally(() => {
            json(AP, object('/private/final'))(req, res);
          });
        },
      ],
    ]);

    const load = createAuthenticatedDocumentLoaderFactory(client)({
      keyId,
      privateKey: keyPair.privateKey,
    });
    const remote = await load(server.url('/private/start'));
    assert.equal(remote.documentUrl, server.url('/private/final'));
    assert.deepEqual(verified, ['/private/start', '/private/final']);
  });
});

describe('mediaType', () => {
  it('lower-cases and drops parameters', () => {
    assert.equal(mediaType(' Application/LD+JSON ; profile="x"'), 'application/ld+json');
    assert.equal(mediaType('application/activity+json'), 'application/activity+json');
    assert.equal(mediaType(''), null);
    assert.equal(mediaType(null), null);
  });
});
