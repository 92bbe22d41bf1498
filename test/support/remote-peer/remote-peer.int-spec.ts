import assert from 'node:assert/strict';
import { type KeyObject, generateKeyPairSync, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { signRequest, verifyRequest } from '@fedify/fedify/sig';
import { getDocumentLoader } from '@fedify/vocab-runtime';

import {
  type InboxDelivery,
  type JsonObject,
  RemotePeer,
  type SignedRequestOptions,
  ed25519Multibase,
  signRfc9421,
} from './index.js';

const HOUR = 60 * 60 * 1000;

/** A Mastodon-shaped Create(Note) by `peer`, addressed to the public. */
function createActivity(peer: RemotePeer, text = 'Hello'): JsonObject {
  return peer.createNote({ content: `<p>${text}</p>` }).create;
}

/** The delivery `peer` recorded last. */
function lastDelivery(peer: RemotePeer): InboxDelivery {
  const last = peer.received.at(-1);
  assert.ok(last, 'no delivery recorded');
  return last;
}

/** Fedify wants a WebCrypto key, extractable. */
async function toCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['sign'],
  );
}

/** Rebuilds, as a fetch Request, what `delivery` was (for Fedify's verifier). */
function asRequest(origin: string, delivery: InboxDelivery | undefined): Request {
  assert.ok(delivery);
  const headers = new Headers();
  for (let i = 0; i + 1 < delivery.rawHeaders.length; i += 2) {
    headers.append(delivery.rawHeaders[i] ?? '', delivery.rawHeaders[i + 1] ?? '');
  }
  return new Request(origin + delivery.path, {
    method: delivery.method,
    headers,
    ...(delivery.method === 'GET' ? {} : { body: new Uint8Array(delivery.rawBody) }),
  });
}

const fedifyLoader = getDocumentLoader({ allowPrivateAddress: true });

/** Whether Fedify's own verifier accepts the request. */
async function fedifyVerifies(request: Request): Promise<boolean> {
  const key = await verifyRequest(request, {
    documentLoader: fedifyLoader,
    contextLoader: fedifyLoader,
  });
  return key !== null;
}

describe('RemotePeer', () => {
  let a: RemotePeer;
  let b: RemotePeer;

  before(async () => {
    a = await RemotePeer.start();
    b = await RemotePeer.start({ username: 'bob' });
  });

  after(async () => {
    await a.stop();
    await b.stop();
  });

  it('serves Mastodon-shaped WebFinger and actor documents', async () => {
    const { jrd, self } = await b.webfinger(`@${a.handle}`, a.origin);
    assert.equal(self, a.actorUrl);
    assert.equal(jrd.subject, `acct:${a.handle}`);
    assert.deepEqual(
      (jrd.links as JsonObject[]).find((l) => l.rel === 'http://ostatus.org/schema/1.0/subscribe'),
      {
        rel: 'http://ostatus.org/schema/1.0/subscribe',
        template: `${a.origin}/authorize_interaction?uri={uri}`,
      },
    );
    const instance = await b.webfinger(`${a.domain}@${a.domain}`, a.origin);
    assert.equal(instance.self, `${a.origin}/actor`);

    a.setAlsoKnownAs(['https://old.example/users/alice']);
    const actor = await b.fetchActor(a.actorUrl);
    assert.equal(actor.status, 200);
    assert.match(actor.headers.get('content-type') ?? '', /^application\/activity\+json/);
    const person = actor.json as JsonObject;
    const context = person['@context'] as unknown[];
    assert.deepEqual(context.slice(0, 2), [
      'https://www.w3.org/ns/activitystreams',
      'https://w3id.org/security/v1',
    ]);
    assert.equal(person.id, a.actorUrl);
    assert.equal(person.type, 'Person');
    assert.equal(person.preferredUsername, 'alice');
    assert.equal(person.inbox, a.inboxUrl);
    assert.deepEqual(person.endpoints, { sharedInbox: a.sharedInboxUrl });
    assert.deepEqual(person.publicKey, {
      id: `${a.actorUrl}#main-key`,
      owner: a.actorUrl,
      publicKeyPem: a.publicKeyPem,
    });
    assert.deepEqual(person.alsoKnownAs, ['https://old.example/users/alice']);
    a.setAlsoKnownAs([]);

    // Mastodon signs its fetches; the peer recorded this one.
    const fetchRecord = a.requests.findLast((r) => r.path === '/users/alice');
    assert.ok(fetchRecord);
    const verdict = await a.verify(fetchRecord);
    assert.equal(verdict.ok, true, verdict.reason);
    assert.deepEqual(verdict.covered, ['(request-target)', 'host', 'date', 'accept']);
  });

  it('two peers follow each other; cavage signatures verify and Accepts come back', async () => {
    const follow = await a.follow(b.actorUrl);
    assert.match(String(follow.id), new RegExp(`^${a.origin}/[0-9a-f-]{36}$`));

    const received = await b.waitForActivity('Follow', (act) => act.id === follow.id);
    assert.equal(received.status, 202);
    assert.equal(received.verdict.scheme, 'draft-cavage');
    assert.equal(received.verdict.algorithm, 'rsa-sha256');
    assert.equal(received.verdict.owner, a.actorUrl);
    assert.equal(received.verdict.requestTarget, 'path-and-query');
    assert.deepEqual(received.verdict.covered, [
      '(request-target)',
      'host',
      'date',
      'digest',
      'content-type',
    ]);
    assert.equal(received.headers['content-type'], 'application/activity+json');
    assert.match(received.headers.digest ?? '', /^SHA-256=[A-Za-z0-9+/]{43}=$/);

    const accept = await a.waitForActivity('Accept', String(follow.id));
    assert.equal(accept.verdict.ok, true);
    assert.equal(accept.activity.actor, b.actorUrl);
    assert.deepEqual(
      a.following.map((f) => f.accepted),
      [true],
    );
    assert.ok(b.followers.has(a.actorUrl));

    const back = await b.follow(a.actorUrl);
    await b.waitForActivity('Accept', String(back.id));
    assert.ok(a.followers.has(b.actorUrl));

    const undo = await a.unfollow(follow);
    assert.match(String(undo.id), new RegExp(`^${a.actorUrl}#follows/\\d+/undo$`));
    const undone = await b.waitForActivity('Undo', String(follow.id));
    assert.deepEqual((undone.activity.object as JsonObject).id, follow.id);
    assert.equal(b.followers.has(a.actorUrl), false);
  });

  it('verifies posts to the shared inbox and to a URL with a query', async () => {
    assert.equal((await a.signedPost(b.sharedInboxUrl, createActivity(a))).status, 202);
    assert.equal(
      (await a.signedPost(`${b.sharedInboxUrl}?via=test`, createActivity(a))).status,
      202,
    );
    assert.equal(lastDelivery(b).verdict.requestTarget, 'path-and-query');
  });

  describe('rejects broken cavage signatures with 401', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: {
      name: string;
      options: () => SignedRequestOptions;
      activity?: () => JsonObject;
      url?: () => string;
      reason: RegExp;
    }[] = [
      {
        name: 'body tampered after signing',
        options: () => ({ tamperBody: (s) => s.replace('Hello', 'Hijacked') }),
        reason: /Digest does not match the body/,
      },
      {
        name: 'Date two hours old',
        options: () => ({ date: new Date(Date.now() - 2 * HOUR) }),
        reason: /too old/,
      },
      {
        name: 'Date two hours ahead',
        options: () => ({ date: new Date(Date.now() + 2 * HOUR) }),
        reason: /in the future/,
      },
      {
        name: 'signed with another key',
        options: () => ({ privateKey: other }),
        reason: /does not verify/,
      },
      {
        name: 'claiming the other peer’s keyId',
        options: () => ({ keyId: b.keyId }),
        reason: /does not verify/,
      },
      {
        name: 'digest not signed',
        options: () => ({ omitDigest: true }),
        reason: /POST without signed digest/,
      },
      {
        name: 'path changed after signing',
        options: () => ({ tamperPath: `/users/${b.username}/inbox` }),
        url: () => b.sharedInboxUrl,
        reason: /does not verify/,
      },
      {
        name: 'query changed after signing',
        options: () => ({ tamperPath: '/inbox?page=2' }),
        url: () => `${b.sharedInboxUrl}?page=1`,
        reason: /does not verify/,
      },
      {
        name: 'duplicate keyId parameter',
        options: () => ({ duplicateParameter: { name: 'keyId', value: b.keyId } }),
        reason: /duplicate Signature parameter keyId/,
      },
      {
        name: 'unsupported algorithm',
        options: () => ({ algorithm: 'hmac-sha256' }),
        reason: /unsupported algorithm/,
      },
      {
        name: 'no Signature header',
        options: () => ({ headers: { signature: null } }),
        reason: /no Signature header/,
      },
      {
        name: 'Digest header removed',
        options: () => ({ headers: { digest: null } }),
        reason: /no Digest header/,
      },
      {
        name: 'activity actor is not the key owner',
        options: () => ({}),
        activity: () => ({ ...createActivity(a), actor: b.actorUrl }),
        reason: /is not the key owner/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const url = c.url?.() ?? b.inboxUrl;
        const response = await a.signedPost(url, c.activity?.() ?? createActivity(a), c.options());
        assert.equal(response.status, 401);
        const delivery = lastDelivery(b);
        assert.equal(delivery.accepted, false);
        assert.match(delivery.verdict.reason ?? '', c.reason);
      });
    }
  });

  it('signs GETs like Mastodon and needs host signed on GET', async () => {
    assert.equal((await a.signedGet(b.actorUrl)).status, 200);
    const ok = await b.verify(b.requests.at(-1) ?? assert.fail());
    assert.equal(ok.ok, true, ok.reason);
    assert.equal((await a.signedGet(b.actorUrl, { omitHost: true })).status, 200);
    const noHost = await b.verify(b.requests.at(-1) ?? assert.fail());
    assert.match(noHost.reason ?? '', /GET without signed host/);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const response = await a.signedPost(b.inboxUrl, 'x'.repeat(1024 * 1024 + 1));
    assert.equal(response.status, 413);
  });

  describe('RFC 9421', () => {
    it('verifies a request signed with signRfc9421', async () => {
      const body = JSON.stringify(createActivity(a));
      const signed = signRfc9421({
        method: 'POST',
        url: b.inboxUrl,
        headers: { 'content-type': 'application/activity+json' },
        body,
        privateKey: a.privateKey,
        keyId: a.keyId,
      });
      const response = await fetch(b.inboxUrl, { method: 'POST', headers: signed.headers, body });
      assert.equal(response.status, 202);
      const { verdict } = lastDelivery(b);
      assert.equal(verdict.scheme, 'rfc9421');
      assert.equal(verdict.algorithm, 'rsa-v1_5-sha256');
      assert.equal(verdict.label, 'sig1');
      assert.deepEqual(verdict.covered, [
        '"@method"',
        '"@target-uri"',
        '"@authority"',
        '"content-digest"',
      ]);
      assert.equal(verdict.signedString, signed.signatureBase);
      const lines = signed.signatureBase.split('\n');
      assert.equal(lines[0], '"@method": POST');
      assert.equal(lines[1], `"@target-uri": ${b.inboxUrl}`);
      assert.equal(lines[2], `"@authority": ${b.domain}`);
      assert.match(lines[3] ?? '', /^"content-digest": sha-256=:[A-Za-z0-9+/]{43}=:$/);
      assert.match(
        lines[4] ?? '',
        /^"@signature-params": \("@method" "@target-uri" "@authority" "content-digest"\);created=\d+;keyid="[^"]+";alg="rsa-v1_5-sha256"$/,
      );
    });

    it('signedPost can sign RFC 9421 too, and tampering is caught', async () => {
      assert.equal(
        (await a.signedPost(b.inboxUrl, createActivity(a), { spec: 'rfc9421' })).status,
        202,
      );
      const tampered = await a.signedPost(b.inboxUrl, createActivity(a), {
        spec: 'rfc9421',
        tamperBody: (s) => s.replace('Hello', 'Hijacked'),
      });
      assert.equal(tampered.status, 401);
      assert.match(lastDelivery(b).verdict.reason ?? '', /Content-Digest does not match/);

      const old = await a.signedPost(b.inboxUrl, createActivity(a), {
        spec: 'rfc9421',
        rfc9421: { created: Math.floor((Date.now() - 2 * HOUR) / 1000) },
      });
      assert.equal(old.status, 401);
      assert.match(lastDelivery(b).verdict.reason ?? '', /created is too old/);

      const noTarget = await a.signedPost(b.inboxUrl, createActivity(a), {
        spec: 'rfc9421',
        rfc9421: { components: ['@method', '@authority', '@path', 'content-digest'] },
      });
      assert.equal(noTarget.status, 401);
      assert.match(lastDelivery(b).verdict.reason ?? '', /@target-uri must be covered/);

      const path = await a.signedPost(b.inboxUrl, createActivity(a), {
        spec: 'rfc9421',
        tamperPath: '/inbox',
      });
      assert.equal(path.status, 401);
      assert.match(lastDelivery(b).verdict.reason ?? '', /does not verify/);
    });

    it('accepts any one valid label, and rejects an expired signature', async () => {
      const body = JSON.stringify(createActivity(a));
      const sign = (label: string, privateKey: KeyObject, expires?: number) =>
        signRfc9421({
          method: 'POST',
          url: b.inboxUrl,
          body,
          privateKey,
          keyId: a.keyId,
          label,
          ...(expires !== undefined ? { expires } : {}),
        });
      const wrong = sign('wrong', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
      const right = sign('sig1', a.privateKey);
      const both = await fetch(b.inboxUrl, {
        method: 'POST',
        headers: {
          ...right.headers,
          'signature-input': `${wrong.signatureInput}, ${right.signatureInput}`,
          signature: `${wrong.signature}, ${right.signature}`,
        },
        body,
      });
      assert.equal(both.status, 202);
      assert.equal(lastDelivery(b).verdict.label, 'sig1');

      const expired = sign('sig1', a.privateKey, Math.floor(Date.now() / 1000) - 60);
      const response = await fetch(b.inboxUrl, { method: 'POST', headers: expired.headers, body });
      assert.equal(response.status, 401);
      assert.match(lastDelivery(b).verdict.reason ?? '', /expired/);
    });

    it('an older Mastodon (acceptRfc9421: false) answers 401, the cavage retry passes', async () => {
      const old = await RemotePeer.start({ username: 'carol', acceptRfc9421: false });
      try {
        const first = await a.signedPost(old.inboxUrl, createActivity(a), { spec: 'rfc9421' });
        assert.equal(first.status, 401);
        assert.match(
          lastDelivery(old).verdict.reason ?? '',
          /RFC 9421 signatures are not accepted/,
        );
        const retry = await a.signedPost(old.inboxUrl, createActivity(a));
        assert.equal(retry.status, 202);
      } finally {
        await old.stop();
      }
    });

    it('verifies Ed25519 keys given as PEM or as a Multikey', async () => {
      const ed = generateKeyPairSync('ed25519');
      const pemActor = a.serve('/users/ed', {
        '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
        id: `${a.origin}/users/ed`,
        type: 'Person',
        inbox: `${a.origin}/users/ed/inbox`,
        publicKey: {
          id: `${a.origin}/users/ed#main-key`,
          owner: `${a.origin}/users/ed`,
          publicKeyPem: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
      });
      const multikeyActor = a.serve('/users/mk', {
        '@context': [
          'https://www.w3.org/ns/activitystreams',
          'https://w3id.org/security/multikey/v1',
        ],
        id: `${a.origin}/users/mk`,
        type: 'Person',
        inbox: `${a.origin}/users/mk/inbox`,
        assertionMethod: [
          {
            id: `${a.origin}/users/mk#ed25519-key`,
            type: 'Multikey',
            controller: `${a.origin}/users/mk`,
            publicKeyMultibase: ed25519Multibase(ed.publicKey),
          },
        ],
      });
      for (const [actor, keyId] of [
        [pemActor, `${pemActor}#main-key`],
        [multikeyActor, `${multikeyActor}#ed25519-key`],
      ] as const) {
        const body = JSON.stringify({ ...createActivity(a), actor });
        const signed = signRfc9421({
          method: 'POST',
          url: b.inboxUrl,
          body,
          privateKey: ed.privateKey,
          keyId,
        });
        const response = await fetch(b.inboxUrl, { method: 'POST', headers: signed.headers, body });
        assert.equal(response.status, 202, lastDelivery(b).verdict.reason);
        assert.equal(lastDelivery(b).verdict.algorithm, 'ed25519');
        assert.equal(lastDelivery(b).verdict.owner, actor);
      }
    });
  });

  describe('interop with Fedify', () => {
    it('verifies an RFC 9421 request signed by Fedify', async () => {
      const request = new Request(`${b.inboxUrl}?from=fedify`, {
        method: 'POST',
        headers: { 'content-type': 'application/activity+json' },
        body: JSON.stringify(createActivity(a)),
      });
      const key = await toCryptoKey(a.privateKey);
      const signed = await signRequest(request, key, new URL(a.keyId), { spec: 'rfc9421' });
      const response = await fetch(signed);
      assert.equal(response.status, 202, lastDelivery(b).verdict.reason);
      const { verdict } = lastDelivery(b);
      assert.equal(verdict.scheme, 'rfc9421');
      assert.equal(verdict.algorithm, 'rsa-v1_5-sha256');
      // What Fedify 2.3 covers by default.
      assert.deepEqual(verdict.covered, [
        '"@method"',
        '"@target-uri"',
        '"@authority"',
        '"host"',
        '"date"',
        '"content-digest"',
      ]);
      assert.match(verdict.signedString ?? '', /"@target-uri": \S+\?from=fedify\n/);
    });

    it('verifies a draft-cavage request signed by Fedify; its (request-target) has no query', async () => {
      const key = await toCryptoKey(a.privateKey);
      const sign = (url: string) =>
        signRequest(
          new Request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/activity+json' },
            body: JSON.stringify(createActivity(a)),
          }),
          key,
          new URL(a.keyId),
        );
      assert.equal((await fetch(await sign(b.inboxUrl))).status, 202);
      const plain = lastDelivery(b).verdict;
      assert.equal(plain.scheme, 'draft-cavage');
      assert.equal(plain.algorithm, 'rsa-sha256');
      // Fedify signs (request-target) and then every header of the request, sorted.
      assert.deepEqual(plain.covered, [
        '(request-target)',
        'content-type',
        'date',
        'digest',
        'host',
      ]);
      assert.equal(plain.requestTarget, 'path-and-query');

      assert.equal((await fetch(await sign(`${b.inboxUrl}?x=1`))).status, 202);
      assert.equal(lastDelivery(b).verdict.requestTarget, 'path-only');

      const strict = await RemotePeer.start({ acceptPathOnlyRequestTarget: false });
      try {
        assert.equal((await fetch(await sign(`${strict.inboxUrl}?x=1`))).status, 401);
      } finally {
        await strict.stop();
      }
    });

    it('Fedify verifies what the peer signs, except a cavage query string', async () => {
      await a.signedPost(b.inboxUrl, createActivity(a));
      assert.equal(await fedifyVerifies(asRequest(b.origin, lastDelivery(b))), true);

      await a.signedPost(b.inboxUrl, createActivity(a), { spec: 'rfc9421' });
      assert.equal(await fedifyVerifies(asRequest(b.origin, lastDelivery(b))), true);

      await a.signedPost(`${b.sharedInboxUrl}?x=1`, createActivity(a), { spec: 'rfc9421' });
      assert.equal(await fedifyVerifies(asRequest(b.origin, lastDelivery(b))), true);

      // Mastodon puts the query into (request-target); Fedify verifies the path alone.
      await a.signedPost(`${b.sharedInboxUrl}?x=1`, createActivity(a));
      assert.equal(lastDelivery(b).status, 202);
      assert.equal(await fedifyVerifies(asRequest(b.origin, lastDelivery(b))), false);

      await a.signedGet(`${b.actorUrl}/outbox?page=true`);
      const get = b.requests.at(-1);
      assert.ok(get);
      assert.equal((await b.verify(get)).ok, true);
      const getRequest = new Request(b.origin + get.path, {
        headers: Object.entries(get.headers),
      });
      assert.equal(await fedifyVerifies(getRequest), false);
    });
  });

  describe('faults', () => {
    it('refetches a rotated key with the same keyId once, and follows a new keyId', async () => {
      const c = await RemotePeer.start({ username: 'dave' });
      try {
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 202);
        const fetchesBefore = b.keys.fetches.length;

        const old = c.rotateKey();
        assert.equal(c.keyId, old.keyId);
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 202);
        assert.equal(lastDelivery(b).verdict.keyRefetched, true);
        assert.equal(b.keys.fetches.length, fetchesBefore + 1);

        // The replaced key no longer verifies.
        const stale = await c.signedPost(b.inboxUrl, createActivity(c), {
          privateKey: old.privateKey,
        });
        assert.equal(stale.status, 401);

        const before = c.rotateKey({ newKeyId: true });
        assert.equal(c.keyId, `${c.actorUrl}#key-2`);
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 202);
        assert.equal(lastDelivery(b).verdict.keyId, `${c.actorUrl}#key-2`);

        // The old keyId is gone from the actor; a cached key stays trusted until it is fetched
        // again (as on Mastodon), so forget it first.
        b.keys.clear();
        const revoked = await c.signedPost(b.inboxUrl, createActivity(c), {
          privateKey: before.privateKey,
          keyId: before.keyId,
        });
        assert.equal(revoked.status, 401);
        assert.match(lastDelivery(b).verdict.reason ?? '', /does not contain the key/);
      } finally {
        await c.stop();
      }
    });

    it('a gone actor answers 410, so its signatures fail', async () => {
      const c = await RemotePeer.start({ username: 'erin' });
      try {
        c.gone = true;
        assert.equal((await fetch(c.actorUrl)).status, 410);
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 401);
        assert.match(lastDelivery(b).verdict.reason ?? '', /answered 410/);
      } finally {
        await c.stop();
      }
    });

    it('down refuses connections until up; a key host that is down fails verification', async () => {
      const c = await RemotePeer.start({ username: 'frank' });
      try {
        await c.down();
        await assert.rejects(fetch(c.actorUrl));
        const response = await a.signedPost(b.inboxUrl, createActivity(a), { keyId: c.keyId });
        assert.equal(response.status, 401);
        assert.match(lastDelivery(b).verdict.reason ?? '', /ECONNREFUSED/);
        await c.up();
        assert.equal((await fetch(c.actorUrl)).status, 200);
      } finally {
        await c.stop();
      }
    });

    it('a key served with a non-ActivityPub content type or a foreign id is not trusted', async () => {
      const c = await RemotePeer.start({ username: 'hank' });
      try {
        const person = (await c.fetchActor(c.actorUrl)).json as JsonObject;
        c.serve('/users/hank', person, { contentType: 'text/html' });
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 401);
        assert.match(lastDelivery(b).verdict.reason ?? '', /content type "text\/html"/);

        c.serve('/users/hank', { ...person, id: a.actorUrl });
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 401);
        assert.match(lastDelivery(b).verdict.reason ?? '', /owner/);
        c.unserve('/users/hank');
        assert.equal((await c.signedPost(b.inboxUrl, createActivity(c))).status, 202);
      } finally {
        await c.stop();
      }
    });

    it('slowMs delays GETs', async () => {
      const c = await RemotePeer.start({ username: 'gina' });
      try {
        c.slowMs = 300;
        const started = Date.now();
        assert.equal((await fetch(c.actorUrl)).status, 200);
        assert.ok(Date.now() - started >= 290);
      } finally {
        await c.stop();
      }
    });
  });
});
