import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Agent, fetch, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { SafeFetchError } from './error.js';
import { createGuardedAgent, type Resolver } from './guarded-agent.js';
import { startServer, type TestServer } from './test-server.js';

/** A resolver answering `addresses` for every name, counting its calls. */
function fixedResolver(...addresses: string[]): Resolver & { calls: number } {
  const resolve = Object.assign(
    (): Promise<{ address: string; family: number }[]> => {
      resolve.calls++;
      return Promise.resolve(
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    },
    { calls: 0 },
  );
  return resolve;
}

/** The `SafeFetchError` a refused fetch carries as its cause. */
function refusal(error: unknown): SafeFetchError {
  const cause = (error as { cause?: unknown }).cause;
  assert.ok(
    cause instanceof SafeFetchError,
    `expected a SafeFetchError cause, got ${String(cause)}`,
  );
  return cause;
}

describe('createGuardedAgent', () => {
  let server: TestServer;
  const agents: Agent[] = [];
  const agent = (options: Parameters<typeof createGuardedAgent>[0]): Agent => {
    const created = createGuardedAgent(options);
    agents.push(created);
    return created;
  };

  before(async () => {
    server = await startServer((_req, res) => {
      res.end('reached');
    });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.destroy()));
    await server.close();
  });

  it('refuses non-public IP-literal hosts without connecting', async () => {
    const sut = agent({ allowPrivateAddresses: false });
    const before = server.connections;
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '[::127.0.0.1]']) {
      const error = await fetch(`http://${host}:${server.port}/`, { dispatcher: sut }).then(
        () => assert.fail(`${host} was fetched`),
        (e: unknown) => e,
      );
      assert.equal(refusal(error).reason, 'private-address', host);
    }
    assert.equal(server.connections, before);
  });

  it('refuses a host name that resolves to a private address, without connecting', async () => {
    const resolve = fixedResolver('127.0.0.1');
    const sut = agent({ allowPrivateAddresses: false, resolve });
    const before = server.connections;
    const error = await fetch(`http://internal.test:${server.port}/`, { dispatcher: sut }).then(
      () => assert.fail('fetched'),
      (e: unknown) => e,
    );
    const cause = refusal(error);
    assert.equal(cause.reason, 'private-address');
    assert.equal(cause.url, `http://internal.test:${server.port}`);
    assert.match(cause.message, /internal\.test resolves to 127\.0\.0\.1, which is loopback/);
    assert.equal(resolve.calls, 1);
    assert.equal(server.connections, before);
  });

  it('refuses when any one of the resolved addresses is private', async () => {
    const sut = agent({
      allowPrivateAddresses: false,
      resolve: fixedResolver('93.184.216.34', '127.0.0.1'),
    });
    const before = server.connections;
    const error = await fetch(`http://mixed.test:${server.port}/`, { dispatcher: sut }).then(
      () => assert.fail('fetched'),
      (e: unknown) => e,
    );
    assert.equal(refusal(error).reason, 'private-address');
    assert.equal(server.connections, before);
  });

  it('dials the resolved address it checked and pools the connection', async () => {
    const resolve = fixedResolver('127.0.0.1');
    const sut = agent({ allowPrivateAddresses: true, resolve });
    const before = server.connections;
    for (let i = 0; i < 2; i++) {
      // undici returns a socket to its pool a tick after the body ends.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await fetch(`http://pooled.test:${server.port}/`, { dispatcher: sut });
      assert.equal(await response.text(), 'reached');
    }
    assert.equal(server.connections - before, 1);
    assert.equal(resolve.calls, 1);
  });

  it('caps response bodies when asked to', async () => {
    const big = await startServer((_req, res) => {
      res.end('x'.repeat(2_000));
    });
    try {
      const sut = agent({ allowPrivateAddresses: true, maxResponseBytes: 1_000 });
      await assert.rejects(
        fetch(big.url(), { dispatcher: sut }).then((r) => r.text()),
        (error: unknown) => {
          let cause: unknown = error;
          while (cause instanceof Error && (cause as { code?: unknown }).code === undefined) {
            cause = cause.cause;
          }
          assert.equal((cause as { code?: unknown }).code, 'UND_ERR_RES_EXCEEDED_MAX_SIZE');
          return true;
        },
      );
      const open = agent({ allowPrivateAddresses: true });
      assert.equal((await (await fetch(big.url(), { dispatcher: open })).text()).length, 2_000);
    } finally {
      await big.close();
    }
  });

  it("is honoured by Node's global fetch once installed with setGlobalDispatcher", async () => {
    const previous = getGlobalDispatcher();
    const before = server.connections;
    setGlobalDispatcher(agent({ allowPrivateAddresses: false }));
    try {
      const error = await globalThis.fetch(server.url()).then(
        () => assert.fail('the global fetch reached the private server'),
        (e: unknown) => e,
      );
      assert.equal(refusal(error).reason, 'private-address');
      assert.equal(server.connections, before);
    } finally {
      setGlobalDispatcher(previous);
    }
    // Control: the same request succeeds once the previous dispatcher is back.
    const response = await globalThis.fetch(server.url(), { headers: { connection: 'close' } });
    assert.equal(await response.text(), 'reached');
  });
});
