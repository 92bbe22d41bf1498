import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../support/database.js';
import { type JsonObject, RemotePeer } from '../support/remote-peer/index.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { deletedEvent, publishedEvent, updatedEvent } from './support/events.js';

const AP = 'application/activity+json';
const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

const ADA = { id: 'u-ada', username: 'ada', displayName: 'Ada Lovelace' };
const GRACE = { id: 'u-grace', username: 'grace', displayName: 'Grace Hopper' };
const PUBLICATION = { id: 'pub-engines', slug: 'engines', name: 'Analytical Engines' };

// Stories published through the HTTP ingest endpoint reach independent remote servers
// (test/support/remote-peer: node:crypto signatures, no Fedify) that follow their actors.
void describe('publishing to followers', () => {
  let bridge: Bridge;
  let reader: RemotePeer;
  let flaky: RemotePeer;
  let leaving: RemotePeer;
  let down: RemotePeer;
  const actorUrl: Record<string, string> = {};

  before(async () => {
    bridge = await startBridge({ DELIVERY_RETRY_SCALE: '0.01' });
    reader = await RemotePeer.start({ username: 'reader' });
    flaky = await RemotePeer.start({ username: 'flaky' });
    leaving = await RemotePeer.start({ username: 'leaving' });
    down = await RemotePeer.start({ username: 'down' });
    // The actors exist before anyone can follow them: a first story creates them.
    await ingest(publishedEvent('warm-up', { authors: [ADA, GRACE], publication: PUBLICATION }));
    for (const handle of ['ada', 'grace', 'engines']) {
      const { self } = await reader.webfinger(`${handle}@${bridge.host}`, bridge.origin);
      actorUrl[handle] = self;
    }
    // `reader` follows both authors and the publication; the others only Ada.
    for (const handle of ['ada', 'grace', 'engines']) await follow(reader, handle);
    await follow(flaky, 'ada');
    await follow(leaving, 'ada');
    await follow(down, 'grace');
    // A follower row whose inbox no delivery row can hold (as stored before Follow checked
    // inboxes): it must not stop Ada's stories from reaching everyone else.
    await bridge.sql(
      `INSERT INTO followers (actor_id, follower_uri, inbox_url, host)
       SELECT actor_id, 'https://hostile.example/users/x', $1, 'hostile.example'
         FROM followers WHERE follower_uri = $2 LIMIT 1`,
      [`https://${'h'.repeat(300)}.example/inbox`, flaky.actorUrl],
    );
  });

  after(async () => {
    await Promise.all([reader.stop(), flaky.stop(), leaving.stop(), down.stop()]);
    await bridge.dispose();
  });

  async function follow(peer: RemotePeer, handle: string): Promise<void> {
    const activity = await peer.follow(actorUrl[handle] ?? '');
    await peer.waitForActivity('Accept', String(activity.id));
  }

  async function ingest(event: Record<string, unknown>): Promise<string> {
    const res = await bridge.api('POST', '/api/v1/events', event, ['ingest']);
    const body = (await res.json()) as { articleId?: string; outcome?: string };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.ok(body.articleId, JSON.stringify(body));
    return body.articleId;
  }

  const articleUri = (id: string) => `${bridge.origin}/articles/${id}`;
  const activitiesOf = (peer: RemotePeer, type: string, objectId: string) =>
    peer.received.filter(
      (d) =>
        d.accepted &&
        d.activity?.type === type &&
        (d.activity.object === objectId ||
          (d.activity.object as JsonObject | undefined)?.id === objectId),
    );

  it('sends the Create once per inbox; the co-author and the publication boost it (FEP-1b12)', async () => {
    const id = await ingest(
      publishedEvent('story-1', {
        title: 'On the Analytical Engine',
        authors: [ADA, GRACE],
        publication: PUBLICATION,
        language: 'en',
        tags: ['Engines'],
      }),
    );
    const uri = articleUri(id);
    const create = await reader.waitForActivity('Create', uri);
    assert.equal(create.verdict.ok, true, create.verdict.reason);
    assert.equal(create.activity.actor, actorUrl.ada, 'from the primary author');
    const object = create.activity.object as JsonObject;
    assert.equal(object.type, 'Article');
    assert.equal(object.name, 'On the Analytical Engine');
    assert.deepEqual(object.attributedTo, [actorUrl.ada, actorUrl.grace, actorUrl.engines]);
    assert.deepEqual(create.activity.to, [PUBLIC]);
    assert.equal((create.activity.cc as string[]).length, 3, 'every followers collection');
    assert.match(create.headers.digest ?? '', /^SHA-256=/);

    // `down` follows only the co-author: a Create from Ada would be dropped by Mastodon there
    // (nobody on that server follows Ada), so it gets Grace's boost instead.
    const boost = await down.waitForActivity('Announce', uri);
    assert.equal(boost.verdict.ok, true, boost.verdict.reason);
    assert.equal(boost.activity.actor, actorUrl.grace);
    assert.deepEqual(boost.activity.to, [PUBLIC]);
    assert.deepEqual(boost.activity.cc, [`${actorUrl.grace}/followers`, actorUrl.ada]);
    const fromGroup = await reader.waitForActivity(
      'Announce',
      (a) => a.object === uri && a.actor === actorUrl.engines,
    );
    assert.equal(fromGroup.verdict.ok, true, fromGroup.verdict.reason);

    await flaky.waitForActivity('Create', uri);
    await reader.waitForActivity('Announce', (a) => a.object === uri && a.actor === actorUrl.grace);
    await delay(300);
    assert.equal(
      activitiesOf(reader, 'Create', uri).length,
      1,
      'the reader follows both authors and the publication and gets the Create once',
    );
    assert.equal(activitiesOf(reader, 'Announce', uri).length, 2, 'one boost per other actor');
    assert.equal(activitiesOf(down, 'Create', uri).length, 0);
    assert.equal(activitiesOf(flaky, 'Announce', uri).length, 0, 'flaky follows only Ada');

    // What the platform sees: Create to reader, flaky, leaving; Grace's boost to reader and
    // down; the publication's to reader.
    const report = await bridge.api('GET', '/api/v1/articles/story-1/deliveries', undefined, [
      'ingest',
    ]);
    const body = (await report.json()) as {
      totals: Record<string, number>;
      activities: { type: string; recipients: number }[];
    };
    assert.equal(report.status, 200);
    assert.deepEqual(body.activities.map((a) => `${a.type} to ${a.recipients}`).sort(), [
      'Announce to 1',
      'Announce to 2',
      'Create to 3',
    ]);
    await waitFor(
      async () => {
        const again = await bridge.api('GET', '/api/v1/articles/story-1/deliveries', undefined, [
          'ingest',
        ]);
        return ((await again.json()) as { totals: { delivered: number } }).totals.delivered === 6;
      },
      5000,
      'six deliveries recorded',
    );
  });

  it('sends Update only when what followers see changed', async () => {
    const id = await ingest(publishedEvent('story-2', { authors: [ADA], publication: null }));
    const uri = articleUri(id);
    await reader.waitForActivity('Create', uri);

    // The excerpt is not rendered while there is a subtitle: stored, but nothing to send.
    await ingest(
      updatedEvent('story-2', '2026-11-20T11:00:00.000Z', {
        authors: [ADA],
        publication: null,
        excerpt: 'A new excerpt nobody sees',
      }),
    );
    await ingest(
      updatedEvent('story-2', '2026-11-20T12:00:00.000Z', {
        authors: [ADA],
        publication: null,
        excerpt: 'A new excerpt nobody sees',
        title: 'A better title',
      }),
    );
    const update = await reader.waitForActivity('Update', uri);
    assert.equal(update.verdict.ok, true, update.verdict.reason);
    assert.equal((update.activity.object as JsonObject).name, 'A better title');
    assert.equal((update.activity.object as JsonObject).updated, '2026-11-20T12:00:00Z');
    await waitFor(
      async () =>
        (
          await bridge.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM ingest_log
              WHERE article_platform_id = 'story-2' AND outcome = 'applied'`,
          )
        )[0]?.n === 3,
      5000,
      'all three events applied',
    );
    // The same update again, as a new event: stored as unchanged, nothing sent.
    const repeat = await bridge.api(
      'POST',
      '/api/v1/events',
      updatedEvent('story-2', '2026-11-20T12:00:00.000Z', {
        authors: [ADA],
        publication: null,
        excerpt: 'A new excerpt nobody sees',
        title: 'A better title',
      }),
      ['ingest'],
    );
    assert.equal(((await repeat.json()) as { outcome: string }).outcome, 'unchanged');
    await delay(500);
    assert.equal(activitiesOf(reader, 'Update', uri).length, 1, 'one Update, for the title');
    const rows = await bridge.sql<{ type: string }>(
      `SELECT type FROM outbound_activities WHERE article_id = $1 ORDER BY created_at`,
      [id],
    );
    assert.deepEqual(
      rows.map((r) => r.type),
      ['Create', 'Update'],
    );
  });

  it('going members-only sends an Update without the full text', async () => {
    const id = await ingest(
      publishedEvent('story-3', {
        authors: [ADA],
        publication: null,
        contentHtml: '<p>FULL-TEXT-FOR-MEMBERS</p>',
      }),
    );
    const uri = articleUri(id);
    const create = await reader.waitForActivity('Create', uri);
    assert.match(create.body, /FULL-TEXT-FOR-MEMBERS/);
    await ingest(
      updatedEvent('story-3', '2026-11-20T11:00:00.000Z', {
        authors: [ADA],
        publication: null,
        contentHtml: '<p>FULL-TEXT-FOR-MEMBERS</p>',
        visibility: 'members',
      }),
    );
    const update = await reader.waitForActivity('Update', uri);
    assert.doesNotMatch(update.body, /FULL-TEXT-FOR-MEMBERS/);
    assert.match(String((update.activity.object as JsonObject).content), /members/i);
  });

  it('a deleted story is deleted everywhere and its URL answers 410 with a Tombstone', async () => {
    const id = await ingest(
      publishedEvent('story-4', { authors: [ADA], publication: PUBLICATION }),
    );
    const uri = articleUri(id);
    await reader.waitForActivity('Create', uri);
    await ingest(deletedEvent('story-4'));
    const del = await reader.waitForActivity('Delete', uri);
    assert.equal(del.verdict.ok, true, del.verdict.reason);
    assert.equal(del.activity.actor, actorUrl.ada);
    assert.deepEqual(del.activity.object, {
      id: uri,
      type: 'Tombstone',
      formerType: 'Article',
      deleted: (del.activity.object as JsonObject).deleted,
    });
    await flaky.waitForActivity('Delete', uri);
    const res = await fetch(uri, { headers: { accept: AP } });
    assert.equal(res.status, 410);
    assert.equal(((await res.json()) as JsonObject).type, 'Tombstone');

    // Publishing it again is refused by ingestion; nothing more is sent.
    const again = await bridge.api('POST', '/api/v1/events', publishedEvent('story-4'), ['ingest']);
    assert.equal(((await again.json()) as { outcome: string }).outcome, 'stale');
    await delay(300);
    assert.equal(activitiesOf(reader, 'Create', uri).length, 1, 'never a second Create');
  });

  it('retries a delivery that failed with 500 and records the attempts', async () => {
    flaky.answerInbox(500);
    const id = await ingest(publishedEvent('story-5', { authors: [ADA], publication: null }));
    const uri = articleUri(id);
    const create = await flaky.waitForActivity('Create', uri, { timeoutMs: 15_000 });
    assert.equal(create.verdict.ok, true);
    const tries = flaky.received.filter(
      (d) => d.activity?.type === 'Create' && (d.activity.object as JsonObject).id === uri,
    );
    assert.deepEqual(
      tries.map((d) => d.status),
      [500, 202],
    );
    assert.equal(tries[0]?.activity?.id, tries[1]?.activity?.id, 'the same activity again');
    const record = async () =>
      bridge.sql<{ status: string; attempts: number; last_status: number }>(
        `SELECT d.status, d.attempts, d.last_status FROM deliveries d
           JOIN outbound_activities a ON a.id = d.activity_id
          WHERE a.article_id = $1 AND d.inbox_url = $2`,
        [id, flaky.sharedInboxUrl],
      );
    await waitFor(async () => (await record())[0]?.status === 'delivered', 5000, 'delivered');
    assert.deepEqual(await record(), [{ status: 'delivered', attempts: 2, last_status: 202 }]);
  });

  it('does not retry a 403 and removes the followers behind an inbox that answers 410', async () => {
    const count = async () =>
      (
        await bridge.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM followers WHERE follower_uri = $1`,
          [leaving.actorUrl],
        )
      )[0]?.n;
    assert.equal(await count(), 1);
    flaky.answerInbox(403);
    leaving.answerInbox(410);
    const id = await ingest(publishedEvent('story-6', { authors: [ADA], publication: null }));
    const uri = articleUri(id);
    await reader.waitForActivity('Create', uri);
    await waitFor(async () => (await count()) === 0, 10_000, 'the gone follower removed');
    await waitFor(
      async () =>
        (
          await bridge.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries d JOIN outbound_activities a ON a.id = d.activity_id
              WHERE a.article_id = $1 AND d.status = 'failed'`,
            [id],
          )
        )[0]?.n === 2,
      10_000,
      'both failures recorded',
    );
    await delay(1000);
    const flakyTries = flaky.received.filter(
      (d) => d.activity?.type === 'Create' && (d.activity.object as JsonObject).id === uri,
    );
    assert.deepEqual(
      flakyTries.map((d) => d.status),
      [403],
      'a 403 is not retried',
    );
    const report = await bridge.api('GET', '/api/v1/articles/story-6/deliveries', undefined, [
      'ingest',
    ]);
    const body = (await report.json()) as {
      totals: Record<string, number>;
      failuresByHost: { host: string; lastStatus: number }[];
    };
    assert.equal(body.totals.failed, 2);
    assert.deepEqual(body.failuresByHost.map((f) => f.lastStatus).sort(), [403, 410]);
  });

  it('a profile change reaches followers as Update(Person)', async () => {
    await ingest(
      publishedEvent('story-7', {
        authors: [{ ...ADA, displayName: 'Ada, Countess of Lovelace' }],
        publication: null,
      }),
    );
    const update = await reader.waitForActivity(
      'Update',
      (a) => (a.object as JsonObject | undefined)?.id === actorUrl.ada,
    );
    assert.equal(update.verdict.ok, true, update.verdict.reason);
    const person = update.activity.object as JsonObject;
    assert.equal(person.type, 'Person');
    assert.equal(person.name, 'Ada, Countess of Lovelace');
    assert.equal(update.activity.actor, actorUrl.ada);
  });

  it('a key rotation Update carries the new key and keeps the attribution domains', async () => {
    await ingest(
      publishedEvent('story-8', {
        authors: [{ ...GRACE, profileUrl: 'https://stories.example/@grace' }],
        publication: null,
      }),
    );
    const keyOf = (actor: JsonObject) =>
      (actor.publicKey as JsonObject | undefined)?.publicKeyPem as string | undefined;
    // The profile change (a profile URL) goes out first, with the key Grace has now.
    const profileUpdate = await reader.waitForActivity('Update', (a) => {
      const object = a.object as JsonObject | undefined;
      return (
        object !== undefined &&
        object.id === actorUrl.grace &&
        Array.isArray(object.attributionDomains) &&
        object.attributionDomains.includes('stories.example')
      );
    });
    const before = keyOf(profileUpdate.activity.object as JsonObject);
    assert.ok(before);
    const res = await bridge.api('POST', '/api/v1/authors/u-grace/rotate-keys', undefined, [
      'admin',
    ]);
    assert.equal(res.status, 202, await res.clone().text());
    const update = await reader.waitForActivity('Update', (a) => {
      const object = a.object as JsonObject | undefined;
      return object !== undefined && object.id === actorUrl.grace && keyOf(object) !== before;
    });
    assert.equal(update.verdict.ok, true, update.verdict.reason);
    assert.deepEqual((update.activity.object as JsonObject).attributionDomains, [
      'stories.example',
    ]);
  });

  it('opens the breaker for a host that is down instead of hammering it, and catches up', async () => {
    const host = new URL(down.origin).host;
    await down.down();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(
        await ingest(publishedEvent(`story-down-${i}`, { authors: [GRACE], publication: null })),
      );
    }
    const attempts = async () =>
      (
        await bridge.sql<{ n: number }>(
          `SELECT coalesce(sum(attempts), 0)::int AS n FROM deliveries WHERE host = $1`,
          [host],
        )
      )[0]?.n ?? 0;
    await waitFor(
      async () =>
        (
          await bridge.sql<{ open: boolean }>(
            `SELECT open_until IS NOT NULL AS open FROM delivery_hosts WHERE host = $1`,
            [host],
          )
        )[0]?.open === true,
      15_000,
      'the breaker to open',
    );
    // Requests already in flight when it opened still fail; then only probes go out.
    await delay(500);
    const atOpen = await attempts();
    await delay(2500);
    const later = await attempts();
    // Without the breaker, eight deliveries retried at 0.3 s and 1.2 s would add about 16.
    assert.ok(later - atOpen <= 4, `attempts went from ${atOpen} to ${later} while open`);

    await down.up();
    for (const id of ids) {
      await down.waitForActivity('Create', articleUri(id), { timeoutMs: 20_000 });
    }
    await waitFor(
      async () =>
        (
          await bridge.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM delivery_hosts WHERE host = $1 AND consecutive_failures = 0`,
            [host],
          )
        )[0]?.n === 1,
      5000,
      'the breaker to close',
    );
  });

  it('the relay queues deliveries whose jobs were never queued (a crash after the commit)', async () => {
    // An activity committed 20 s ago whose jobs never reached the queue, as if the process had
    // died between the transaction and the enqueue.
    const [actor] = await bridge.sql<{ id: string }>(
      `SELECT id FROM actors WHERE platform_id = 'u-ada'`,
    );
    assert.ok(actor);
    const activityId = '00000000-0000-4000-8000-00000000c0de';
    const uri = `${bridge.origin}/activities/${activityId}`;
    const body = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: uri,
      type: 'Update',
      actor: actorUrl.ada,
      object: { id: actorUrl.ada, type: 'Person', name: 'Ada Lovelace' },
    };
    await bridge.sql(
      `INSERT INTO outbound_activities (id, uri, type, actor_id, object_uri, body, recipients, created_at)
       VALUES ($1, $2, 'Update', $3, $4, $5, 1, now() - interval '20 seconds')`,
      [activityId, uri, actor.id, actorUrl.ada, body],
    );
    await bridge.sql(`INSERT INTO deliveries (activity_id, inbox_url, host) VALUES ($1, $2, $3)`, [
      activityId,
      reader.sharedInboxUrl,
      new URL(reader.sharedInboxUrl).host,
    ]);
    // The relay runs every 30 s.
    const delivered = await reader.waitFor((d) => d.activity?.id === uri, 40_000);
    assert.equal(delivered.verdict.ok, true, delivered.verdict.reason);
    await waitFor(
      async () =>
        (
          await bridge.sql<{ enqueued: boolean }>(
            `SELECT enqueued_at IS NOT NULL AS enqueued FROM outbound_activities WHERE id = $1`,
            [activityId],
          )
        )[0]?.enqueued === true,
      5000,
      'the activity marked queued',
    );
  });

  it('a story whose publish job was lost is published by the reconcile sweep', async () => {
    const id = await ingest(publishedEvent('story-lost', { authors: [ADA], publication: null }));
    const uri = articleUri(id);
    await reader.waitForActivity('Create', uri);
    // An edit stored minutes ago whose publish job never ran (lost with the queue, or failed for
    // good): followers still have the old title.
    await bridge.sql(
      `UPDATE articles SET title = 'Edited while the queue was lost',
              modified_at = now() - interval '5 minutes' WHERE id = $1`,
      [id],
    );
    await bridge.sql(
      `UPDATE article_federation SET updated_at = now() - interval '10 minutes' WHERE article_id = $1`,
      [id],
    );
    // The sweep runs when a worker starts, then every 5 minutes.
    await bridge.app.stop();
    await bridge.restart();
    const update = await reader.waitForActivity('Update', uri, { timeoutMs: 30_000 });
    assert.equal((update.activity.object as JsonObject).name, 'Edited while the queue was lost');
  });
});
