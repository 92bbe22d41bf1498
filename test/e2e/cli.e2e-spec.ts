import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createPostgresBackend, Queue, setDefaultBackendFactory } from 'bullmq';
import { decodeJwt } from 'jose';
import { queueConnection } from '../../src/queue/connection.js';
import { publishJobId } from '../../src/ingestion/ingest.service.js';
import { QueueName } from '../../src/queue/jobs.js';
import { testRedisUrl, waitFor } from '../support/database.js';
import { type JsonObject, RemotePeer } from '../support/remote-peer/index.js';
import { REPO_ROOT, serviceEnv } from './support/app-process.js';
import { type Bridge, JWT_SECRET, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

const AP = 'application/activity+json';
/** The bridge's master key, given here so the CLI can unseal and seal actor keys with it. */
const SECRET_KEY = 'cli-e2e-secret-key-0123456789abcdefghijklmnopq';
const ADA = { id: 'u-ada', username: 'ada', displayName: 'Ada Lovelace' };
const COMMANDS = [
  'migrate',
  'create-token',
  'add-feed',
  'backfill',
  'redeliver',
  'rotate-keys',
  'block-domain',
  'unblock-domain',
  'stats',
];

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// The built CLI (dist/src/cli/fedi-bridge.js) as a child process, on the database and queues of
// a running bridge, with the environment the bridge runs with.
void describe('fedi-bridge CLI', () => {
  let bridge: Bridge;
  let reader: RemotePeer;
  let adaActor = '';

  before(async () => {
    bridge = await startBridge({ SECRET_KEY, DELIVERY_RETRY_SCALE: '0.01' });
    reader = await RemotePeer.start({ username: 'reader' });
    const res = await bridge.api('PUT', '/api/v1/authors/u-ada', {
      username: ADA.username,
      displayName: ADA.displayName,
    });
    const body = (await res.json()) as { actorId: string };
    assert.equal(res.status, 201, JSON.stringify(body));
    adaActor = body.actorId;
  });

  after(async () => {
    await reader.stop();
    await bridge.dispose();
  });

  function cli(args: string[], vars: Record<string, string | undefined> = {}): Promise<CliRun> {
    const env = serviceEnv({
      DATABASE_URL: bridge.databaseUrl,
      SECRET_KEY,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: bridge.queuePrefix,
      API_JWT_SECRET: JWT_SECRET,
      PUBLIC_URL: bridge.origin,
      ...vars,
    });
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['dist/src/cli/fedi-bridge.js', ...args], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function ingest(event: Record<string, unknown>): Promise<string> {
    const res = await bridge.api('POST', '/api/v1/events', event, ['ingest']);
    const body = (await res.json()) as { articleId?: string };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.ok(body.articleId);
    return body.articleId;
  }

  /** A queue of the bridge, from this process (to pause publishing, as stopped workers would). */
  function bridgeQueue(name: string): Queue {
    const connection = queueConnection({ redisUrl: testRedisUrl() }, bridge.databaseUrl, {
      prefix: bridge.queuePrefix,
    });
    if (connection.backend === 'postgres') setDefaultBackendFactory(createPostgresBackend);
    return new Queue(name, { connection: connection.connection, prefix: connection.prefix });
  }

  it('prints help for itself and every command; refuses unknown commands and options', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const name of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
    const runs = await Promise.all(COMMANDS.map((name) => cli([name, '--help'])));
    runs.forEach((run, i) => {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: fedi-bridge ${COMMANDS[i] ?? ''}`));
      assert.match(run.stdout, /Examples:/);
    });
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = await cli(['stats', '--frobnicate']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /stats --help/);
    const missing = await cli(['redeliver']);
    assert.equal(missing.code, 2);
  });

  it('migrate finds nothing pending on the running bridge’s database', async () => {
    const run = await cli(['migrate']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'no pending migrations');
  });

  it('create-token makes a token the bridge accepts, with exactly those scopes', async () => {
    const run = await cli([
      'create-token',
      '--scopes',
      'ingest,comments:read',
      '--sub',
      'cli-test',
      '--ttl',
      '10m',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    const claims = decodeJwt(token);
    assert.equal(claims.scope, 'ingest comments:read');
    assert.equal(claims.sub, 'cli-test');
    assert.ok(typeof claims.exp === 'number' && claims.exp - Date.now() / 1000 <= 600);
    const call = (path: string) =>
      fetch(`${bridge.origin}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await call('/api/v1/feeds')).status, 200, 'ingest');
    assert.equal((await call('/api/v1/comments/pending')).status, 403, 'no comments:write');
    assert.equal((await call('/api/v1/blocks')).status, 403, 'no admin');

    const unknown = await cli(['create-token', '--scopes', 'ingest,superuser']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown scope\(s\): superuser; valid scopes are admin, ingest/);
    const noSecret = await cli(['create-token', '--scopes', 'ingest'], {
      API_JWT_SECRET: undefined,
    });
    assert.equal(noSecret.code, 1);
    assert.match(noSecret.stderr, /API_JWT_SECRET is not set: set it/);
    assert.equal(noSecret.stdout, '');
  });

  it('add-feed registers a feed the API lists; the API’s rules apply', async () => {
    const run = await cli(['add-feed', 'https://ada.invalid/feed.xml', '--author', 'u-ada']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^registered feed [0-9a-f-]{36}/);
    const res = await bridge.api('GET', '/api/v1/feeds', undefined, ['ingest']);
    const { items } = (await res.json()) as {
      items: { url: string; owner: { platformId: string } }[];
    };
    assert.deepEqual(
      items.map((f) => [f.url, f.owner.platformId]),
      [['https://ada.invalid/feed.xml', 'u-ada']],
    );
    const again = await cli(['add-feed', 'https://ada.invalid/feed.xml', '--author', 'u-ada']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already registered/);
    const nobody = await cli(['add-feed', 'https://x.invalid/feed', '--author', 'u-nobody']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no author u-nobody/);
    const both = await cli(['add-feed', 'https://x.invalid/feed']);
    assert.equal(both.code, 2);
  });

  it('block-domain shows in the blocks API; unblock-domain lifts it', async () => {
    const run = await cli(['block-domain', 'Spam.Example', '--reason', 'spam wave']);
    assert.equal(run.code, 0, run.stderr);
    const blocks = async () =>
      (
        (await (await bridge.api('GET', '/api/v1/blocks')).json()) as {
          blocks: { kind: string; value: string; reason: string | null }[];
        }
      ).blocks.map((b) => ({ kind: b.kind, value: b.value, reason: b.reason }));
    assert.deepEqual(await blocks(), [
      { kind: 'domain', value: 'spam.example', reason: 'spam wave' },
    ]);
    assert.equal((await cli(['block-domain', 'https://spam.example/'])).code, 2);
    assert.equal((await cli(['unblock-domain', 'spam.example'])).code, 0);
    assert.deepEqual(await blocks(), []);
    const again = await cli(['unblock-domain', 'spam.example']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /spam\.example is not blocked/);
  });

  it('backfill lists a story in the outbox and delivers nothing, to a follower either', async () => {
    const follow = await reader.follow(adaActor);
    await reader.waitForActivity('Accept', String(follow.id));
    // Workers stopped while the back catalogue is imported: the story is stored, not published.
    const publish = bridgeQueue(QueueName.publish);
    await publish.pause();
    const event = publishedEvent(
      'old-story',
      {
        authors: [ADA],
        publication: null,
        publishedAt: '2019-05-01T08:00:00.000Z',
        updatedAt: '2019-05-01T08:00:00.000Z',
      },
      { occurredAt: '2019-05-01T08:00:00.000Z' },
    );
    let id: string;
    try {
      id = await ingest(event);
      const dry = await cli(['backfill', '--author', 'u-ada', '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^old-story\t2019-05-01T08:00:00.000Z\t/);
      assert.equal(
        (await bridge.sql('SELECT 1 FROM article_federation WHERE article_id = $1', [id])).length,
        0,
        'a dry run changes nothing',
      );
      const run = await cli(['backfill', '--author', 'u-ada']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /backfilled 1 story/);
    } finally {
      await publish.resume();
    }
    const activities = await bridge.sql<{ type: string; recipients: number; created_at: Date }>(
      'SELECT type, recipients, created_at FROM outbound_activities WHERE article_id = $1',
      [id],
    );
    assert.deepEqual(
      activities.map((a) => [a.type, a.recipients, a.created_at.toISOString()]),
      [['Create', 0, '2019-05-01T08:00:00.000Z']],
    );
    const [state] = await bridge.sql<{ state: string }>(
      'SELECT state FROM article_federation WHERE article_id = $1',
      [id],
    );
    assert.equal(state?.state, 'published');

    const get = async (url: string): Promise<JsonObject> => {
      const res = await fetch(url, { headers: { accept: AP } });
      assert.equal(res.status, 200, url);
      return (await res.json()) as JsonObject;
    };
    const outbox = await get(`${adaActor}/outbox`);
    assert.equal(outbox.totalItems, 1);
    const page = await get(String(outbox.first));
    const items = page.orderedItems as JsonObject[];
    assert.equal(items.length, 1);
    assert.deepEqual(
      items.map((item) => [item.type, (item.object as JsonObject).id]),
      [['Create', `${bridge.origin}/articles/${id}`]],
    );

    // The publish job, running once workers are back, finds the story as followers "have" it.
    await waitFor(
      async () => {
        const job = await publish.getJob(publishJobId(String(event.eventId)));
        return job !== undefined && (await job.isCompleted());
      },
      10_000,
      "the story's publish job done",
    );
    await publish.close();
    const deliveries = await bridge.sql(
      `SELECT 1 FROM deliveries d JOIN outbound_activities a ON a.id = d.activity_id
        WHERE a.article_id = $1`,
      [id],
    );
    assert.equal(deliveries.length, 0);
    assert.equal(
      reader.received.filter((d) => d.activity?.type === 'Create').length,
      0,
      'the follower got no Create',
    );
    const none = await cli(['backfill', '--all']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /backfilled 0 story/);
  });

  it('redeliver queues a failed delivery again, and it is delivered', async () => {
    reader.answerInbox(403);
    const id = await ingest(publishedEvent('fails-once', { authors: [ADA], publication: null }));
    const uri = `${bridge.origin}/articles/${id}`;
    const status = async () =>
      (
        await bridge.sql<{ status: string }>(
          `SELECT d.status FROM deliveries d JOIN outbound_activities a ON a.id = d.activity_id
            WHERE a.article_id = $1`,
          [id],
        )
      ).map((r) => r.status);
    await waitFor(async () => (await status())[0] === 'failed', 10_000, 'the 403 recorded');

    const run = await cli(['redeliver', 'fails-once']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /queued 1 failed delivery\(ies\) of fails-once again/);
    const create = await reader.waitForActivity('Create', uri, { timeoutMs: 10_000 });
    assert.equal(create.verdict.ok, true, create.verdict.reason);
    await waitFor(async () => (await status())[0] === 'delivered', 5_000, 'delivered');
    assert.deepEqual(
      reader.received.filter((d) => d.activity?.type === 'Create').map((d) => d.status),
      [403, 202],
    );
    const nothing = await cli(['redeliver', 'fails-once', '--failed-only']);
    assert.equal(nothing.code, 0, nothing.stderr);
    assert.match(nothing.stdout, /nothing to redeliver/);
    const unknown = await cli(['redeliver', 'no-such-story']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no story no-such-story/);
  });

  it('rotate-keys gives the author new keys and sends followers an Update', async () => {
    // Serving processes keep keys in memory up to a minute: the stored keys tell.
    const keys = () =>
      bridge.sql<{ id: string; retired: boolean }>(
        `SELECT k.id, k.retired_at IS NOT NULL AS retired FROM actor_keys k
           JOIN actors a ON a.id = k.actor_id WHERE a.platform_id = 'u-ada' ORDER BY k.created_at`,
      );
    const before = (await keys()).filter((k) => !k.retired).map((k) => k.id);
    assert.equal(before.length, 2, 'RSA and Ed25519');
    const run = await cli(['rotate-keys', 'u-ada']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /rotated the keys of author u-ada .*Update queued for 1 inbox/);
    const after = await keys();
    const current = after.filter((k) => !k.retired).map((k) => k.id);
    assert.equal(current.length, 2);
    assert.ok(
      current.every((k) => !before.includes(k)),
      'new keys',
    );
    assert.ok(
      before.every((k) => after.find((a) => a.id === k)?.retired === true),
      'old keys retired',
    );
    const update = await reader.waitForActivity('Update', (a) => a.actor === adaActor, {
      timeoutMs: 10_000,
    });
    assert.equal(update.verdict.ok, true, update.verdict.reason);
    assert.equal((await cli(['rotate-keys'])).code, 2);
    assert.equal((await cli(['rotate-keys', 'u-nobody'])).code, 1);
  });

  it('stats prints the counts the database holds', async () => {
    await waitFor(
      async () =>
        (await bridge.sql("SELECT 1 FROM deliveries WHERE status = 'pending'")).length === 0,
      10_000,
      'deliveries settled',
    );
    const run = await cli(['stats', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const stats = JSON.parse(run.stdout) as {
      actors: Record<string, number>;
      followers: { total: number; distinctAccounts: number };
      stories: { live: number; deleted: number };
      deliveriesLast24h: Record<string, number>;
      comments: Record<string, number>;
      queues: Record<string, Record<string, number>>;
    };
    const grouped = async (sql: string) =>
      Object.fromEntries(
        (await bridge.sql<{ k: string; n: number }>(sql)).map((r) => [r.k, r.n] as const),
      );
    assert.deepEqual(
      stats.actors,
      await grouped('SELECT kind AS k, count(*)::int AS n FROM actors GROUP BY kind'),
    );
    assert.deepEqual(stats.actors.author, 1);
    const [followers] = await bridge.sql<{ n: number }>('SELECT count(*)::int AS n FROM followers');
    assert.equal(stats.followers.total, followers?.n);
    assert.equal(stats.followers.total, 1);
    assert.deepEqual(stats.stories, { live: 2, deleted: 0 });
    assert.deepEqual(
      stats.deliveriesLast24h,
      await grouped('SELECT status AS k, count(*)::int AS n FROM deliveries GROUP BY status'),
    );
    assert.deepEqual(stats.comments, {});
    assert.deepEqual(Object.keys(stats.queues).sort(), Object.values(QueueName).sort());
    assert.deepEqual(Object.keys(stats.queues.deliver ?? {}), [
      'waiting',
      'active',
      'delayed',
      'failed',
    ]);
    const table = await cli(['stats']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^stories +live 2, deleted 0$/m);
  });
});
