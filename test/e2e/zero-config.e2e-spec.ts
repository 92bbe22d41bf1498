import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { waitFor } from '../support/database.js';
import {
  AppProcess,
  freePort,
  killPostmasters,
  postmasterPids,
  REPO_ROOT,
} from './support/app-process.js';
import { declareAndWait, postBody, type RawResponse } from './support/http.js';

const NODEINFO_21 = 'http://nodeinfo.diaspora.software/ns/schema/2.1';
const TWO_MIB = 2 * 1024 * 1024;
const MARKER_KEY = '{e2e,marker}';

interface HealthBody {
  status: string;
  info: Record<string, { status: string } | undefined>;
}

interface NodeInfoDocument {
  version: string;
  software: { name: string; version: string };
  protocols: string[];
  usage: { users: { total: unknown } };
  openRegistrations: boolean;
}

// The `npm start` promise: nothing but a port and a data directory — embedded Postgres, queues on
// BullMQ's Postgres backend, no Redis, no Kafka. One DATA_DIR is shared by the steps below, which
// run in order and restart the service on it: clean stop, restart, kill -9, restart.
void describe('zero-config (embedded Postgres, no Redis, no Kafka)', () => {
  let dataDir: string;
  let clusterDir: string;
  let port: number;
  let app: AppProcess | undefined;
  const started: AppProcess[] = [];
  let secretAfterFirstBoot: string;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };

  const start = (): AppProcess => {
    app = AppProcess.start({ PORT: String(port), DATA_DIR: dataDir });
    started.push(app);
    return app;
  };
  const running = (): AppProcess => {
    if (app === undefined) throw new Error('no service process (an earlier step failed)');
    return app;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bridge-e2e-zero-'));
    clusterDir = join(dataDir, 'postgres');
    port = await freePort();
  });

  after(async () => {
    for (const each of started) await each.dispose();
    await killPostmasters(clusterDir);
    await rm(dataDir, { recursive: true, force: true });
  });

  void it('first boot: ready within 15 s with database and queue up; live', async () => {
    const ms = await start().waitUntilReady(15_000);
    assert.ok(ms < 15_000, `ready after ${ms} ms`);

    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as HealthBody;
    assert.equal(body.status, 'ok');
    assert.equal(body.info.database?.status, 'up');
    assert.equal(body.info.queue?.status, 'up');

    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as HealthBody).status, 'ok');

    const readyLine = running().findLog(/^ready \(all\)/);
    assert.equal(readyLine?.queues, 'postgres');
    assert.equal(readyLine.database, 'embedded');
    assert.equal(readyLine.port, port);
    assert.ok(running().findLog(/^embedded postgres: initialising a new cluster/));
    assert.ok(running().findLog(/^applied 6 migration\(s\)/), 'the first boot migrates');
    secretAfterFirstBoot = await readFile(join(dataDir, 'secret.key'), 'utf8');
    assert.match(secretAfterFirstBoot.trim(), /^[\w-]{32,}$/);
  });

  void it('serves NodeInfo 2.1, linked from /.well-known/nodeinfo on the PUBLIC_URL origin', async () => {
    // PUBLIC_URL is unset, so it defaults to http://localhost:PORT; the request goes to
    // 127.0.0.1, so a link built from the Host header would differ.
    const publicOrigin = `http://localhost:${port}`;
    const wellKnown = await fetch(`http://127.0.0.1:${port}/.well-known/nodeinfo`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(wellKnown.status, 200);
    assert.match(wellKnown.headers.get('content-type') ?? '', /^application\/(jrd\+)?json\b/);
    const links = ((await wellKnown.json()) as { links: { rel: string; href: string }[] }).links;
    const link = links.find((l) => l.rel === NODEINFO_21);
    assert.equal(link?.href, `${publicOrigin}/nodeinfo/2.1`);

    const res = await fetch(`http://127.0.0.1:${new URL(link.href).port}/nodeinfo/2.1`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    const doc = (await res.json()) as NodeInfoDocument;
    assert.equal(doc.version, '2.1');
    assert.match(doc.software.name, /^[a-z0-9-]+$/);
    assert.equal(doc.software.version, pkg.version);
    assert.deepEqual(doc.protocols, ['activitypub']);
    assert.equal(typeof doc.usage.users.total, 'number');
    assert.ok(Number.isInteger(doc.usage.users.total) && (doc.usage.users.total as number) >= 0);
    assert.equal(doc.openRegistrations, false);
  });

  /** POSTs 2 MiB, with a Content-Length or chunked, and returns the response. */
  const expect413 = (path: string, chunked: boolean): Promise<RawResponse> =>
    postBody({
      port,
      path,
      bytes: TWO_MIB,
      chunked,
      headers: { 'content-type': 'application/activity+json' },
    });

  const assert413 = (res: RawResponse): void => {
    assert.equal(res.status, 413);
    assert.match(String(res.headers['content-type']), /^application\/json\b/);
    const body = JSON.parse(res.body) as { error?: unknown };
    assert.equal(body.error, 'payload_too_large');
  };

  void it('rejects 2 MiB inbox POSTs with 413 and a JSON error, and stays up', async () => {
    assert413(await expect413('/inbox', false));
    assert413(await expect413('/users/x/inbox', false));
    // No Content-Length: the cap applies while the stream is read.
    assert413(await expect413('/inbox', true));

    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    assert.equal(live.status, 200);
    assert.equal(running().isRunning(), true);
  });

  void it('a client that sends everything before reading still gets its 413 (fetch, 20 times)', async () => {
    const body = new Uint8Array(TWO_MIB);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/inbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/activity+json' },
        body,
      });
      assert.equal(res.status, 413);
      await res.arrayBuffer();
    }
  });

  void it('answers a declared 20 MiB body at once with 413 and closes, reading none of it', async () => {
    const outcome = await declareAndWait({ port, path: '/inbox', declaredBytes: 20 * 1024 * 1024 });
    assert.match(outcome.statusLine, /^HTTP\/1\.1 413 /);
    assert.match(outcome.head, /\r\nconnection: close\r\n/i);
  });

  void it('echoes X-Request-Id and logs it as req.id in the access log', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/.well-known/nodeinfo`, {
      headers: { 'x-request-id': 'e2e-abc' },
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-request-id'), 'e2e-abc');
    const line = await running().waitForLog(
      /^request completed$/,
      5_000,
      (l) => (l.req as { id?: unknown } | undefined)?.id === 'e2e-abc',
    );
    assert.deepEqual(line.req, { id: 'e2e-abc', method: 'GET', url: '/.well-known/nodeinfo' });
    assert.deepEqual(line.res, { statusCode: 200 });

    // A malformed id is not echoed back; the request gets a fresh UUID instead.
    const bad = await fetch(`http://127.0.0.1:${port}/.well-known/nodeinfo`, {
      headers: { 'x-request-id': 'has spaces and/slashes' },
    });
    await bad.arrayBuffer();
    assert.match(
      bad.headers.get('x-request-id') ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  void it('writes a marker row into the embedded database', async () => {
    await withDatabase(running(), dataDir, async (db) => {
      await db.query('INSERT INTO fedify_kv (key, value) VALUES ($1, $2)', [MARKER_KEY, '"kept"']);
      assert.equal(await readMarker(db), 'kept');
    });
  });

  void it('SIGTERM: exits 0 within 10 s, logs shutdown complete, leaves no postmaster', async () => {
    assert.equal((await postmasterPids(clusterDir)).length, 1, 'one postmaster while running');
    const exit = await running().stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(exit.ms < 10_000, `exit took ${exit.ms} ms`);
    assert.ok(running().findLog(/^shutdown complete$/), running().tail());
    assert.ok(running().findLog(/^embedded postgres: stopped$/));
    assert.deepEqual(await postmasterPids(clusterDir), []);
  });

  void it('restart on the same DATA_DIR: data and secret kept, nothing migrated', async () => {
    await start().waitUntilReady(15_000);
    await withDatabase(running(), dataDir, async (db) => {
      assert.equal(await readMarker(db), 'kept');
    });
    assert.equal(await readFile(join(dataDir, 'secret.key'), 'utf8'), secretAfterFirstBoot);
    assert.deepEqual(running().findLogs(/applied \d+ migration/), []);
    assert.equal(running().findLog(/initialising a new cluster/), undefined);
    assert.equal(running().findLog(/generated SECRET_KEY/), undefined);
  });

  void it('after kill -9: restarts, handles the leftover postmaster, keeps data', async () => {
    const killed = await running().kill9();
    assert.equal(killed.signal, 'SIGKILL');
    // The postmaster runs in its own session, so it outlives the killed service.
    const orphans = await postmasterPids(clusterDir);
    assert.equal(orphans.length, 1, 'the killed service leaves its postmaster behind');

    const ms = await start().waitUntilReady(15_000);
    assert.ok(ms < 15_000, `ready after ${ms} ms`);
    const handled = running().findLog(/orphaned postmaster|stale lock/);
    assert.ok(handled?.msg, `no log about the leftover postmaster\n${running().tail()}`);
    assert.match(handled.msg, new RegExp(`\\b${orphans[0] ?? 'none'}\\b`), 'names its pid');
    await waitFor(
      async () => !(await postmasterPids(clusterDir)).includes(orphans[0] ?? -1),
      5_000,
      'the orphaned postmaster to be gone',
    );
    assert.equal((await postmasterPids(clusterDir)).length, 1);
    await withDatabase(running(), dataDir, async (db) => {
      assert.equal(await readMarker(db), 'kept');
    });
  });

  void it('finally, SIGTERM exits 0', async () => {
    const exit = await running().stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.deepEqual(await postmasterPids(clusterDir), []);
  });
});

/** Connects to the `bridge` database of the running service's embedded cluster. */
async function withDatabase(
  app: AppProcess,
  dataDir: string,
  use: (db: pg.Client) => Promise<void>,
): Promise<void> {
  const readyLine = app.findLogs(/^embedded postgres: ready on 127\.0\.0\.1:\d+/).at(-1);
  const port = /ready on 127\.0\.0\.1:(\d+)/.exec(readyLine?.msg ?? '')?.[1];
  assert.ok(port !== undefined, `no embedded postgres ready line\n${app.tail()}`);
  const password = (await readFile(join(dataDir, 'postgres.password'), 'utf8')).trim();
  const db = new pg.Client({
    host: '127.0.0.1',
    port: Number(port),
    user: 'postgres',
    password,
    database: 'bridge',
  });
  await db.connect();
  try {
    await use(db);
  } finally {
    await db.end();
  }
}

async function readMarker(db: pg.Client): Promise<unknown> {
  const result = await db.query<{ value: unknown }>('SELECT value FROM fedify_kv WHERE key = $1', [
    MARKER_KEY,
  ]);
  return result.rows[0]?.value;
}
