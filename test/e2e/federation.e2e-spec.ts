import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RemotePeer } from '../support/remote-peer/index.js';
import { waitFor } from '../support/database.js';
import { type Bridge, startBridge } from './support/bridge.js';

interface ActorDocument {
  id: string;
  type: string;
  preferredUsername: string;
  inbox: string;
  followers: string;
  publicKey: { id: string; owner: string; publicKeyPem: string };
  endpoints: { sharedInbox: string };
  attributionDomains?: string[];
  attachment?: unknown;
  url?: { href: string; mediaType: string };
  indexable?: boolean;
  discoverable?: boolean;
  manuallyApprovesFollowers?: boolean;
}

/** GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function followersTotal(url: string): Promise<number> {
  const response = await fetch(url, { headers: { accept: 'application/activity+json' } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { totalItems: number }).totalItems;
}

// A Mastodon-like server of its own (test/support/remote-peer: node:crypto signatures, no Fedify)
// finds, follows and unfollows an author and a publication, verifying every signature it gets.
void describe('federation with an independent remote server', () => {
  let bridge: Bridge;
  let peer: RemotePeer;
  let mastodonLike: RemotePeer;

  before(async () => {
    bridge = await startBridge();
    peer = await RemotePeer.start({ username: 'reader' });
    // Older Mastodon: RFC 9421 signatures are refused, so the bridge must fall back to cavage.
    mastodonLike = await RemotePeer.start({ username: 'oldtimer', acceptRfc9421: false });
    const author = await bridge.api('PUT', '/api/v1/authors/author-1', {
      username: 'Ada',
      displayName: 'Ada Lovelace',
      bio: 'Notes on the <em>Analytical Engine</em>',
      profileUrl: 'https://medium.example/@ada',
      links: [{ name: 'Website', url: 'https://ada.example/' }],
      indexable: true,
    });
    assert.equal(author.status, 201, await author.clone().text());
    const publication = await bridge.api('PUT', '/api/v1/publications/pub-1', {
      slug: 'engines',
      name: 'Engines Weekly',
      description: 'Everything about engines.',
      url: 'https://medium.example/engines',
      customDomain: 'engines.example',
      members: ['author-1'],
    });
    assert.equal(publication.status, 201, await publication.clone().text());
  });

  after(async () => {
    await peer.stop();
    await mastodonLike.stop();
    await bridge.dispose();
  });

  for (const { kind, handle, type } of [
    { kind: 'author', handle: 'ada', type: 'Person' },
    { kind: 'publication', handle: 'engines', type: 'Group' },
  ]) {
    void it(`finds, follows and unfollows the ${kind} @${handle}`, async () => {
      const { self, jrd } = await peer.webfinger(`${handle}@${bridge.host}`, bridge.origin);
      assert.equal(jrd.subject, `acct:${handle}@${bridge.host}`);

      const fetched = await peer.fetchActor(self);
      assert.equal(fetched.status, 200);
      assert.match(fetched.headers.get('content-type') ?? '', /^application\/activity\+json/);
      const actor = fetched.json as ActorDocument;
      assert.equal(actor.id, self);
      assert.equal(actor.type, type);
      assert.equal(actor.preferredUsername, handle);
      assert.equal(actor.publicKey.owner, self);
      assert.match(actor.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);
      assert.equal(actor.endpoints.sharedInbox, `${bridge.origin}/inbox`);
      assert.equal(actor.manuallyApprovesFollowers, false);
      assert.equal(actor.discoverable, true);
      assert.ok(actor.attributionDomains?.includes('medium.example'));
      assert.ok(actor.attributionDomains?.includes('engines.example'));

      for (const follower of [peer, mastodonLike]) {
        const follow = await follower.follow(self);
        const accept = await follower.waitForActivity('Accept', String(follow.id));
        assert.equal(accept.verdict.ok, true, accept.verdict.reason);
        assert.equal(accept.activity.actor, self);
      }
      // The cavage-only peer refused the RFC 9421 first knock, then accepted the cavage retry.
      assert.ok(
        mastodonLike.received.some((d) => d.verdict.scheme === 'rfc9421' && d.status === 401) ||
          mastodonLike.received.every((d) => d.verdict.scheme === 'draft-cavage'),
      );
      assert.equal(await followersTotal(actor.followers), 2);

      // A repeated Follow is accepted again without a second row.
      const again = await peer.follow(self);
      await peer.waitForActivity('Accept', String(again.id));
      assert.equal(await followersTotal(actor.followers), 2);

      await peer.unfollow(again);
      await waitFor(async () => (await followersTotal(actor.followers)) === 1, 10_000);
      const remaining = (await (
        await fetch(`${actor.followers}?cursor=`, {
          headers: { accept: 'application/activity+json' },
        })
      ).json()) as { orderedItems?: string[] | string };
      assert.deepEqual([remaining.orderedItems].flat(), [mastodonLike.actorUrl]);
    });
  }

  void it('answers WebFinger for a publication on its custom domain, and only there', async () => {
    const asked = await getWithHost(
      `${bridge.origin}/.well-known/webfinger?resource=acct:engines@engines.example`,
      'engines.example',
    );
    assert.equal(asked.status, 200, asked.body);
    const jrd = JSON.parse(asked.body) as { subject: string; aliases: string[] };
    assert.equal(jrd.subject, `acct:engines@${bridge.host}`);
    assert.ok(jrd.aliases.includes('acct:engines@engines.example'));
    const author = await getWithHost(
      `${bridge.origin}/.well-known/webfinger?resource=acct:ada@engines.example`,
      'engines.example',
    );
    assert.equal(author.status, 404);
    const elsewhere = await getWithHost(`${bridge.origin}/nodeinfo/2.1`, 'engines.example');
    assert.equal(elsewhere.status, 404);
    const hostMeta = await getWithHost(`${bridge.origin}/.well-known/host-meta`, 'engines.example');
    assert.match(hostMeta.body, /template="http:\/\/engines\.example\/\.well-known\/webfinger/);
  });

  void it('serves host-meta, NodeInfo counts and a 404 for unknown accounts', async () => {
    const xrd = await fetch(`${bridge.origin}/.well-known/host-meta`);
    assert.equal(xrd.status, 200);
    assert.match(
      await xrd.text(),
      new RegExp(`template="${bridge.origin}/\\.well-known/webfinger\\?resource=\\{uri\\}"`),
    );
    const json = await fetch(`${bridge.origin}/.well-known/host-meta.json`);
    assert.equal(
      ((await json.json()) as { links: { template: string }[] }).links[0]?.template,
      `${bridge.origin}/.well-known/webfinger?resource={uri}`,
    );
    const nodeinfo = (await (await fetch(`${bridge.origin}/nodeinfo/2.1`)).json()) as {
      usage: { users: { total: number } };
    };
    assert.equal(nodeinfo.usage.users.total, 2);
    const unknown = await fetch(
      `${bridge.origin}/.well-known/webfinger?resource=acct:nobody@${bridge.host}`,
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('access-control-allow-origin'), '*');
  });

  void it('redirects browsers to the platform profile and offers remote follow', async () => {
    const { self } = await peer.webfinger(`ada@${bridge.host}`, bridge.origin);
    const browser = await fetch(self, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), 'https://medium.example/@ada');

    const page = await fetch(`${bridge.origin}/@ada`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Follow from your server/);

    // The peer publishes Mastodon's authorize_interaction template for its instance account.
    const peerHost = new URL(peer.actorUrl).host;
    const follow = await fetch(
      `${bridge.origin}/@ada/follow?server=${encodeURIComponent(`@reader@${peerHost}`)}`,
      { redirect: 'manual' },
    );
    assert.equal(follow.status, 302, await follow.clone().text());
    assert.equal(
      follow.headers.get('location'),
      `${new URL(peer.actorUrl).origin}/authorize_interaction?uri=${encodeURIComponent(self)}`,
    );
    const missing = await fetch(`${bridge.origin}/@ada/follow?server=127.0.0.1%3A9`, {
      redirect: 'manual',
    });
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /Could not find a fediverse server/);
  });
});
