import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

const AP = 'application/activity+json';

interface Attribution {
  platformId: string;
  handle: string;
  metaTag: { name: string; content: string };
  html: string;
  attributionDomains: string[];
  actorId: string;
  warning?: string;
}

interface Jrd {
  subject: string;
  links: { rel: string; type?: string; href?: string }[];
}

// What the platform puts on story pages for Mastodon's "More from" byline, checked against what
// the bridge really serves: the actor document's attributionDomains and WebFinger for the handle.
describe('author attribution (GET /api/v1/authors/{platformId}/attribution)', () => {
  let bridge: Bridge;

  before(async () => {
    bridge = await startBridge();
    const withProfile = publishedEvent('attr-1', {
      authors: [
        {
          id: 'u-grace',
          username: 'Grace',
          displayName: 'Grace Hopper',
          profileUrl: 'https://Medium.Example/@grace',
        },
      ],
      publication: {
        id: 'pub-looms',
        slug: 'looms',
        name: 'Looms',
        url: 'https://medium.example/looms',
        customDomain: 'looms.example',
      },
    });
    const bare = publishedEvent('attr-2', {
      authors: [{ id: 'u-anon', username: 'anon', displayName: 'Anonymous' }],
      publication: null,
    });
    for (const event of [withProfile, bare]) {
      const res = await bridge.api('POST', '/api/v1/events', event, ['ingest']);
      assert.equal(res.status, 202, await res.clone().text());
    }
  });
  after(async () => {
    await bridge.dispose();
  });

  const attribution = (platformId: string) =>
    bridge.api('GET', `/api/v1/authors/${platformId}/attribution`, undefined, ['ingest']);

  it("gives the meta tag for the handle WebFinger resolves, and the actor's domains", async () => {
    const res = await attribution('u-grace');
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Attribution;
    const handle = `@grace@${bridge.host}`;
    const admin = (await (await bridge.api('GET', '/api/v1/authors/u-grace')).json()) as {
      actorId: string;
    };
    assert.deepEqual(body, {
      platformId: 'u-grace',
      handle,
      metaTag: { name: 'fediverse:creator', content: handle },
      html: `<meta name="fediverse:creator" content="${handle}">`,
      attributionDomains: ['medium.example', 'looms.example'],
      actorId: admin.actorId,
    });

    // The handle is the one a Mastodon server resolves: WebFinger on the bridge's host…
    const finger = await fetch(
      `${bridge.origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle.slice(1)}`)}`,
    );
    assert.equal(finger.status, 200);
    const jrd = (await finger.json()) as Jrd;
    assert.equal(jrd.subject, `acct:${handle.slice(1)}`);
    const self = jrd.links.find((l) => l.rel === 'self' && l.type === AP);
    assert.equal(self?.href, body.actorId);

    // …and the actor it finds lists exactly these domains.
    const actor = await fetch(body.actorId, { headers: { accept: AP } });
    assert.equal(actor.status, 200);
    const doc = (await actor.json()) as { attributionDomains?: string[]; '@context': unknown };
    assert.deepEqual(doc.attributionDomains, body.attributionDomains);
    assert.match(JSON.stringify(doc['@context']), /joinmastodon\.org\/ns#attributionDomains/);
  });

  it('warns when no domain may credit the author, and the actor lists none', async () => {
    const res = await attribution('u-anon');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Attribution;
    assert.equal(body.handle, `@anon@${bridge.host}`);
    assert.deepEqual(body.attributionDomains, []);
    assert.match(body.warning ?? '', /profileUrl/);
    const doc = (await (await fetch(body.actorId, { headers: { accept: AP } })).json()) as {
      attributionDomains?: string[];
    };
    assert.equal(doc.attributionDomains, undefined);
  });

  it('is 404 with a reason for an unknown author, or a publication', async () => {
    for (const platformId of ['u-nobody', 'pub-looms']) {
      const res = await attribution(platformId);
      assert.equal(res.status, 404, platformId);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'not_found');
      assert.match(body.message, new RegExp(`no author ${platformId}`));
    }
  });

  it('needs a token (401) with the ingest scope (403)', async () => {
    const anonymous = await fetch(`${bridge.origin}/api/v1/authors/u-grace/attribution`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: string }).error.length > 0, true);
    const wrongScope = await bridge.api('GET', '/api/v1/authors/u-grace/attribution', undefined, [
      'comments:read',
    ]);
    assert.equal(wrongScope.status, 403);
    const admin = await bridge.api('GET', '/api/v1/authors/u-grace/attribution');
    assert.equal(admin.status, 200, 'admin grants every scope');
  });
});
