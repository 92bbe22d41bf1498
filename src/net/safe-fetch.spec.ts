import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { SafeFetchError, type SafeFetchReason } from './error.js';
import type { ResolvedAddress } from './guarded-agent.js';
import { SafeFetch, type SafeFetchOptions } from './safe-fetch.js';
import { closedPort, startServer, type TestServer } from './test-server.js';

const servers: TestServer[] = [];
const clients: SafeFetch[] = [];

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}

function client(options: Partial<SafeFetchOptions> = {}): SafeFetch {
  const created = new SafeFetch({ allowPrivateAddresses: true, userAgent: 'spec/1', ...options });
  clients.push(created);
  return created;
}

/** Awaits `promise`, requires a SafeFetchError with `reason`, and returns it. */
async function refused(
  promise: Promise<unknown>,
  reason: SafeFetchReason,
): Promise<SafeFetchError> {
  const error = await promise.then(
    () => assert.fail(`expected a refusal (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SafeFetchError, `not a SafeFetchError: ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  return error;
}

const answer =
  (...addresses: string[]) =>
  (): Promise<ResolvedAddress[]> =>
    Promise.resolve(addresses.map((address) => ({ address, family: 4 })));

function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location }).end();
}

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

describe('SafeFetch', () => {
  describe('scheme', () => {
    it('refuses http:// unless private addresses are allowed, before connecting', async () => {
      const target = await server((_req, res) => res.end('reached'));
      const sut = client({ allowPrivateAddresses: false });
      const error = await refused(sut.fetch(target.url()), 'scheme');
      assert.equal(error.url, target.url());
      assert.equal(target.connections, 0);
      // Control: in private-address mode the same URL is fetched.
      const response = await client().fetch(target.url());
      assert.equal(await response.text(), 'reached');
    });

    it('refuses other schemes, and URLs with credentials, in every mode', async () => {
      for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'data:,x', 'http://u:p@x/']) {
        await refused(client().fetch(url), 'scheme');
      }
    });
  });

  describe('addresses', () => {
    it('refuses a host resolving to 127.0.0.1, at dial time', async () => {
      const target = await server((_req, res) => res.end('reached'));
      const sut = client({ allowPrivateAddresses: false, resolve: answer('127.0.0.1') });
      const error = await refused(
        sut.fetch(`https://internal.test:${target.port}/x`),
        'private-address',
      );
      assert.equal(error.url, `https://internal.test:${target.port}/x`);
      assert.equal(target.connections, 0);
    });

    it('never connects to the rebound address of a rebinding host', async () => {
      const target = await server((_req, res) => res.end('reached'));
      let calls = 0;
      // First answer public (unreachable here: the dial fails or times out), then loopback.
      const rebinding = (): Promise<ResolvedAddress[]> =>
        Promise.resolve([{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
      const sut = client({
        allowPrivateAddresses: false,
        resolve: rebinding,
        connectTimeoutMs: 300,
        totalTimeoutMs: 2_000,
      });
      const url = `https://rebind.test:${target.port}/`;
      const first = await sut.fetch(url).then(
        () => assert.fail('fetched'),
        (e: unknown) => e,
      );
      assert.ok(first instanceof SafeFetchError);
      assert.notEqual(first.reason, 'private-address');
      // The next dial resolves again, sees loopback and refuses.
      await refused(sut.fetch(url), 'private-address');
      assert.equal(target.connections, 0);
    });
  });

  describe('redirects', () => {
    const chain = (res: ServerResponse, path: string, base: string): void => {
      const n = Number(/^\/r(\d+)$/.exec(path)?.[1]);
      if (n > 1) redirect(res, `${base}/r${n - 1}`);
      else if (n === 1) redirect(res, '/ok', 301);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('final');
    };

    it('follows 3 redirects and reports the final URL', async () => {
      const target = await server((req, res) => {
        chain(res, req.url ?? '', '');
      });
      const response = await client().fetch(target.url('/r3'));
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'final');
      assert.equal(response.url, target.url('/ok'));
      assert.equal(response.redirected, true);
      assert.deepEqual(target.paths, ['/r3', '/r2', '/r1', '/ok']);
    });

    it('refuses a 4th redirect without following it', async () => {
      const target = await server((req, res) => {
        chain(res, req.url ?? '', '');
      });
      const error = await refused(client().fetch(target.url('/r4')), 'too-many-redirects');
      assert.equal(error.url, target.url('/ok'));
      assert.deepEqual(target.paths, ['/r4', '/r3', '/r2', '/r1']);
    });

    it('refuses a redirect loop', async () => {
      const target = await server((req, res) => {
        redirect(res, req.url === '/a' ? '/b' : '/a');
      });
      await refused(client().fetch(target.url('/a')), 'redirect-loop');
      assert.deepEqual(target.paths, ['/a', '/b']);
    });

    it('refuses a redirect to a private address, checking the new hop at dial time', async () => {
      const internal = await server((_req, res) => res.end('secret'), '127.0.0.2');
      const entry = await server((_req, res) => {
        redirect(res, `http://internal.test:${internal.port}/`);
      });
      const sut = client({
        resolve: answer('127.0.0.2'),
        // Stands in for "public": only the entry server's address may be dialled.
        addressPolicy: (address) => (address === '127.0.0.1' ? null : 'not allowed here'),
      });
      const error = await refused(sut.fetch(entry.url()), 'private-address');
      assert.equal(error.url, `http://internal.test:${internal.port}/`);
      assert.equal(internal.connections, 0);
      // Control: without that policy the redirect would have reached the secret.
      const open = client({ resolve: answer('127.0.0.2') });
      assert.equal(await (await open.fetch(entry.url())).text(), 'secret');
    });

    it('refuses a redirect to another scheme', async () => {
      const target = await server((_req, res) => {
        redirect(res, 'file:///etc/passwd');
      });
      await refused(client().fetch(target.url()), 'scheme');
    });

    it('turns a POST into a GET on 303 and keeps credentials on the same origin only', async () => {
      const seen: { path: string; method: string; auth: string | undefined }[] = [];
      const other = await server((req, res) => {
        seen.push({
          path: req.url ?? '',
          method: req.method ?? '',
          auth: req.headers.authorization,
        });
        res.end('done');
      });
      const target = await server((req, res) => {
        seen.push({
          path: req.url ?? '',
          method: req.method ?? '',
          auth: req.headers.authorization,
        });
        if (req.url === '/post') redirect(res, '/same', 303);
        else redirect(res, other.url('/other'), 307);
      });
      const response = await client().fetch(target.url('/post'), {
        method: 'POST',
        body: '{}',
        headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      });
      assert.equal(await response.text(), 'done');
      assert.deepEqual(seen, [
        { path: '/post', method: 'POST', auth: 'Bearer x' },
        { path: '/same', method: 'GET', auth: 'Bearer x' },
        { path: '/other', method: 'GET', auth: undefined },
      ]);
    });
  });

  describe('deadline', () => {
    it('stops a body dribbled byte by byte at the total deadline (slowloris)', async () => {
      const target = await server((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        let sent = 0;
        const timer = setInterval(() => {
          // Without a total deadline the client would wait for the whole 3 s body.
          if (++sent === 60) {
            clearInterval(timer);
            res.end('x');
          } else res.write('x');
        }, 50);
        res.on('close', () => {
          clearInterval(timer);
        });
      });
      const started = Date.now();
      await refused(client({ totalTimeoutMs: 400 }).fetch(target.url()), 'timeout');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 350 && elapsed < 1_500, `took ${elapsed} ms`);
    });

    it('stops a server that never sends headers', async () => {
      const target = await server(() => {
        // never answers
      });
      const started = Date.now();
      await refused(client({ totalTimeoutMs: 300 }).fetch(target.url()), 'timeout');
      assert.ok(Date.now() - started < 1_500);
    });

    it('reports an abort by the caller as the abort reason', async () => {
      const target = await server(() => {
        // never answers
      });
      const controller = new AbortController();
      setTimeout(() => {
        controller.abort(new Error('caller gave up'));
      }, 50);
      await assert.rejects(client().fetch(target.url(), { signal: controller.signal }), {
        message: 'caller gave up',
      });
    });
  });

  describe('size', () => {
    it('refuses a declared Content-Length over the cap before reading the body', async () => {
      const target = await server((_req, res) => {
        // Declares 10 MiB, sends 10 bytes and stalls: only the declaration can refuse it in time.
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        res.write('0123456789');
      });
      await refused(client({ totalTimeoutMs: 2_000 }).fetch(target.url()), 'too-large');
    });

    it('cuts a chunked body as soon as it passes the cap', async () => {
      let closedEarly = false;
      const target = await server((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let written = 0;
        const pump = (): void => {
          while (written < 8 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => {
          closedEarly = !res.writableFinished;
        });
        pump();
      });
      await refused(client().fetch(target.url()), 'too-large');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(closedEarly, true);
    });

    it('accepts a body of exactly the cap and refuses one byte more', async () => {
      const target = await server((req, res) => {
        res.end('x'.repeat(Number(req.url?.slice(1))));
      });
      const sut = client({ maxBytes: 1_000 });
      const response = await sut.fetch(target.url('/1000'));
      assert.equal((await response.text()).length, 1_000);
      await refused(sut.fetch(target.url('/1001')), 'too-large');
    });
  });

  describe('responses and failures', () => {
    it('returns non-2xx responses with status, headers and body', async () => {
      const target = await server((_req, res) => {
        res.writeHead(410, { 'content-type': 'application/activity+json', 'x-a': 'b' });
        res.end('{"gone":true}');
      });
      const response = await client().fetch(target.url('/gone'));
      assert.equal(response.status, 410);
      assert.equal(response.headers.get('x-a'), 'b');
      assert.deepEqual(await response.json(), { gone: true });
      assert.equal(response.url, target.url('/gone'));
      assert.equal(response.redirected, false);
    });

    it('sends the configured User-Agent', async () => {
      let agent: string | undefined;
      const target = await server((req, res) => {
        agent = req.headers['user-agent'];
        res.end();
      });
      await client({ userAgent: 'bridge/1.0 (+https://bridge.example)' }).fetch(target.url());
      assert.equal(agent, 'bridge/1.0 (+https://bridge.example)');
    });

    it('reports a refused connection as network', async () => {
      const port = await closedPort();
      await refused(client().fetch(`http://127.0.0.1:${String(port)}/`), 'network');
    });
  });

  describe('post (deliveries)', () => {
    const body = new TextEncoder().encode('{"type":"Create"}');
    const headers: [string, string][] = [['content-type', 'application/activity+json']];

    it('sends the body and headers and answers a 2xx at once, without waiting for its body', async () => {
      let received = '';
      const target = await server((req, res) => {
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (received += chunk));
        req.on('end', () => {
          // A success that then dribbles its body for longer than the deadline.
          res.writeHead(202, { 'content-type': 'text/plain' });
          res.write('accepted');
          setTimeout(() => res.end(), 5_000).unref();
        });
      });
      const started = Date.now();
      const answer = await client({ totalTimeoutMs: 1_000 }).post(target.url('/inbox'), {
        headers,
        body,
      });
      assert.equal(answer.status, 202);
      assert.ok(Date.now() - started < 900, 'not held by the body');
      assert.equal(received, '{"type":"Create"}');
    });

    it('returns a redirect as its status and keeps only the start of an error body', async () => {
      const moved = await server((_req, res) => {
        redirect(res, 'http://elsewhere.test/', 301);
      });
      assert.equal((await client().post(moved.url(), { headers, body })).status, 301);
      const failing = await server((_req, res) => {
        res.writeHead(429, { 'retry-after': '120' });
        res.end('x'.repeat(5_000));
      });
      const answer = await client({ maxBytes: 100 }).post(failing.url(), { headers, body });
      assert.equal(answer.status, 429);
      assert.equal(answer.retryAfter, '120');
      assert.equal(answer.text.length, 100);
    });

    it('keeps the scheme and address rules', async () => {
      const target = await server((_req, res) => res.end('reached'));
      await refused(
        client({ allowPrivateAddresses: false }).post(target.url(), { headers, body }),
        'scheme',
      );
      await refused(
        client({ allowPrivateAddresses: false, resolve: answer('127.0.0.1') }).post(
          `https://internal.test:${target.port}/inbox`,
          { headers, body },
        ),
        'private-address',
      );
      assert.equal(target.connections, 0);
      await refused(client().post('http://127.0.0.1:1/inbox', { headers, body }), 'network');
    });
  });
});
