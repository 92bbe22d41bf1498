import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemotePeer } from '../support/remote-peer/index.js';
import { waitFor } from '../support/database.js';
import { type Bridge, startBridge } from './support/bridge.js';

// The hostile-input checklist of ../shared/INTEROP.md, inbox side, replayed against the running
// service by independent Mastodon-like peers (node:crypto signatures). Numbers are the checklist's.
// The outgoing-request items (3, 4, 23–27) are covered in src/net/*.spec.ts.
void describe('hostile inbox input', () => {
  let bridge: Bridge;
  let alice: RemotePeer;
  let mallory: RemotePeer;
  let actor: string;
  let inbox: string;
  let followers: string;

  const follow = (from: RemotePeer): Record<string, unknown> => ({
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${new URL(from.actorUrl).origin}/${randomUUID()}`,
    type: 'Follow',
    actor: from.actorUrl,
    object: actor,
  });

  const total = async (): Promise<number> => {
    const response = await fetch(followers, { headers: { accept: 'application/activity+json' } });
    return ((await response.json()) as { totalItems: number }).totalItems;
  };

  before(async () => {
    bridge = await startBridge();
    alice = await RemotePeer.start({ username: 'alice' });
    mallory = await RemotePeer.start({ username: 'mallory' });
    const created = await bridge.api('PUT', '/api/v1/authors/a1', {
      username: 'target',
      displayName: 'Target',
    });
    assert.equal(created.status, 201);
    actor = (await alice.webfinger(`target@${bridge.host}`, bridge.origin)).self;
    inbox = `${actor}/inbox`;
    followers = `${actor}/followers`;
  });

  after(async () => {
    await alice.stop();
    await mallory.stop();
    await bridge.dispose();
  });

  void it('1: signed by key A for actor B → 401, nothing stored', async () => {
    const forged = follow(alice);
    const response = await mallory.signedPost(inbox, forged);
    assert.equal(response.status, 401);
    await sleep(300);
    assert.equal(await total(), 0);
  });

  void it('2: a key document naming an owner that does not list the key → 401', async () => {
    const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = mallory.serve('/keys/rogue', {
      '@context': 'https://w3id.org/security/v1',
      id: `${mallory.actorUrl.replace(/\/users\/.*/, '')}/keys/rogue`,
      type: 'Key',
      owner: alice.actorUrl,
      publicKeyPem: rogue.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const response = await mallory.signedPost(inbox, follow(alice), {
      keyId,
      privateKey: rogue.privateKey,
    });
    assert.equal(response.status, 401);
  });

  void it('9: missing, malformed or duplicated Signature → 401', async () => {
    const unsigned = await fetch(inbox, {
      method: 'POST',
      headers: { 'content-type': 'application/activity+json' },
      body: JSON.stringify(follow(alice)),
    });
    assert.equal(unsigned.status, 401);
    const garbled = await alice.signedPost(inbox, follow(alice), {
      mutateSignature: () => 'keyId="x",signature="%%%"',
    });
    assert.equal(garbled.status, 401);
    const duplicated = await alice.signedPost(inbox, follow(alice), {
      duplicateParameter: {
        name: 'keyId',
        value: mallory.actorUrl + '#main-key',
        position: 'after',
      },
    });
    assert.equal(duplicated.status, 401);
  });

  void it('10: Date outside ±1 h → 401', async () => {
    for (const offset of [-2, 2]) {
      const response = await alice.signedPost(inbox, follow(alice), {
        date: new Date(Date.now() + offset * 3600_000),
      });
      assert.equal(response.status, 401, `offset ${offset} h`);
    }
  });

  void it('11: digest not signed, digest mismatch, GET without signed Host → 401', async () => {
    assert.equal((await alice.signedPost(inbox, follow(alice), { omitDigest: true })).status, 401);
    const tampered = await alice.signedPost(inbox, follow(alice), {
      tamperBody: (signed) => signed.replace('"Follow"', '"Follow" '),
    });
    assert.ok([400, 401].includes(tampered.status), `got ${tampered.status}`);
    assert.equal((await alice.signedGet(actor, { omitHost: true })).status, 401);
    assert.equal((await alice.signedGet(actor)).status, 200);
  });

  void it('12: tampered path or query → 401', async () => {
    const other = await bridge.api('PUT', '/api/v1/authors/a2', {
      username: 'other',
      displayName: 'Other',
    });
    const otherInbox = `${((await other.json()) as { actorId: string }).actorId}/inbox`;
    const path = await alice.signedPost(inbox, follow(alice), {
      tamperPath: new URL(otherInbox).pathname,
    });
    assert.equal(path.status, 401);
    const query = await alice.signedPost(inbox, follow(alice), {
      tamperPath: (signed) => `${signed}?injected=1`,
    });
    assert.equal(query.status, 401);
  });

  void it('13: key host down → 503, so the sender retries', async () => {
    const offline = await RemotePeer.start({ username: 'offline' });
    await offline.down();
    try {
      const response = await offline.signedPost(inbox, follow(offline));
      assert.equal(response.status, 503);
    } finally {
      await offline.stop();
    }
  });

  void it('14: a rotated key is refetched once and verifies', async () => {
    const first = follow(alice);
    assert.equal((await alice.signedPost(inbox, first)).status, 202);
    await alice.waitForActivity('Accept', String(first.id));
    alice.rotateKey(); // same keyId, new key: the bridge's cached key no longer verifies
    const second = follow(alice);
    assert.equal((await alice.signedPost(inbox, second)).status, 202);
    await alice.waitForActivity('Accept', String(second.id));
  });

  void it('16: a revoked key (no longer on the actor) → 401', async () => {
    const revoked = alice.rotateKey({ newKeyId: true });
    const response = await alice.signedPost(inbox, follow(alice), {
      keyId: revoked.keyId.replace('#main-key', '#old-key'),
      privateKey: revoked.privateKey,
    });
    assert.equal(response.status, 401);
  });

  void it('15: Delete of an unknown actor whose key is gone → 202, nothing fetched', async () => {
    const ghost = await RemotePeer.start({ username: 'ghost' });
    try {
      ghost.gone = true;
      const response = await ghost.signedPost(inbox, {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${ghost.actorUrl}#delete`,
        type: 'Delete',
        actor: ghost.actorUrl,
        object: ghost.actorUrl,
        to: ['https://www.w3.org/ns/activitystreams#Public'],
      });
      assert.equal(response.status, 202);
      await sleep(300);
      assert.equal(ghost.requests.filter((r) => r.method === 'GET').length, 0);
    } finally {
      await ghost.stop();
    }
  });

  void it('Delete of a known follower removes it everywhere', async () => {
    const leaver = await RemotePeer.start({ username: 'leaver' });
    try {
      const f = follow(leaver);
      assert.equal((await leaver.signedPost(inbox, f)).status, 202);
      await leaver.waitForActivity('Accept', String(f.id));
      const before = await total();
      const response = await leaver.signedPost(inbox, {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${leaver.actorUrl}#delete`,
        type: 'Delete',
        actor: leaver.actorUrl,
        object: leaver.actorUrl,
      });
      assert.equal(response.status, 202);
      await waitFor(async () => (await total()) === before - 1, 10_000, 'follower removed');
    } finally {
      await leaver.stop();
    }
  });

  void it('17: body over 1 MiB → 413', async () => {
    const response = await alice.signedPost(inbox, {
      ...follow(alice),
      pad: 'x'.repeat(1_100_000),
    });
    assert.equal(response.status, 413);
  });

  void it('19: invalid JSON or a wrong content type → 4xx, never 5xx', async () => {
    const broken = await alice.signedPost(inbox, '{"type": "Follow",');
    assert.ok(broken.status >= 400 && broken.status < 500, `got ${broken.status}`);
    const text = await alice.signedPost(inbox, follow(alice), { contentType: 'text/plain' });
    assert.ok(text.status >= 400 && text.status < 500, `got ${text.status}`);
  });

  void it('20: a replayed activity id has its effect once', async () => {
    const f = follow(mallory);
    assert.equal((await mallory.signedPost(inbox, f)).status, 202);
    await mallory.waitForActivity('Accept', String(f.id));
    assert.equal((await mallory.signedPost(inbox, f)).status, 202);
    await sleep(1_500);
    const accepts = mallory.received.filter(
      (d) =>
        d.activity?.type === 'Accept' && JSON.stringify(d.activity.object).includes(String(f.id)),
    );
    assert.equal(accepts.length, 1);
  });

  void it('22: a forged Accept changes nothing', async () => {
    const before = await total();
    const response = await mallory.signedPost(inbox, {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${mallory.actorUrl}#accept-${randomUUID()}`,
      type: 'Accept',
      actor: mallory.actorUrl,
      object: { type: 'Follow', id: `${actor}#follow-1`, actor, object: mallory.actorUrl },
    });
    assert.equal(response.status, 202);
    await sleep(300);
    assert.equal(await total(), before);
  });
});
