import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../support/database.js';
import { type JsonObject, RemotePeer } from '../support/remote-peer/index.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

interface CommentView {
  id: string;
  apId: string;
  parentId: string | null;
  depth: number;
  author: { actorId: string };
  contentText: string;
}

interface Post {
  readonly note: JsonObject;
  readonly create: JsonObject;
  readonly peer: RemotePeer;
}

// Replies whose parents the bridge has not seen: it walks up the thread through its SSRF-safe
// loader (at most 5 fetches per activity, each ancestor its author's own), stores the ancestors
// top-down, then the reply; or ignores the reply, storing nothing, with one log line.
void describe('replies to parents the bridge does not know yet', () => {
  let bridge: Bridge;
  let alice: RemotePeer;
  let bob: RemotePeer;
  let articleUri: string;

  before(async () => {
    bridge = await startBridge();
    alice = await RemotePeer.start({ username: 'alice' });
    bob = await RemotePeer.start({ username: 'bob' });
    const res = await bridge.api('POST', '/api/v1/events', publishedEvent('threads'), ['ingest']);
    const body = (await res.json()) as { articleId: string };
    assert.equal(res.status, 202);
    articleUri = `${bridge.origin}/articles/${body.articleId}`;
  });

  after(async () => {
    await Promise.all([alice.stop(), bob.stop()]);
    await bridge.dispose();
  });

  const inbox = () => `${bridge.origin}/inbox`;
  const comments = async () => {
    const res = await bridge.api('GET', '/api/v1/articles/threads/comments?limit=200', undefined, [
      'admin',
    ]);
    assert.equal(res.status, 200);
    return ((await res.json()) as { comments: CommentView[] }).comments;
  };
  const idOf = (post: Post) => String(post.note.id);
  const nth = (posts: readonly Post[], i: number): Post => {
    const post = posts[i];
    assert.ok(post, `post ${i}`);
    return post;
  };
  const deliver = async (post: Post) => {
    const res = await post.peer.signedPost(inbox(), post.create);
    assert.equal(res.status, 202, await res.text());
  };
  /** `n` replies, each answering the one before; the first answers `top`; authors alternate. */
  const thread = (n: number, label: string, top = articleUri): Post[] => {
    const posts: Post[] = [];
    for (let i = 0; i < n; i++) {
      const peer = i % 2 === 0 ? alice : bob;
      const parent = posts[i - 1];
      const made = peer.createNote({
        content: `<p>${label} ${i}</p>`,
        inReplyTo: parent === undefined ? top : idOf(parent),
      });
      posts.push({ ...made, peer });
    }
    return posts;
  };
  /** GETs of the posts' URLs the peers answered so far. */
  const fetchesOf = (posts: readonly Post[]) => {
    const paths = new Set(posts.map((p) => new URL(idOf(p)).pathname));
    return [...alice.requests, ...bob.requests].filter(
      (r) => r.method === 'GET' && paths.has(new URL(r.path, 'http://x').pathname),
    );
  };
  /** Asserts every post is stored once, under the one before it, at depth `firstDepth + i`. */
  const assertThreaded = (all: readonly CommentView[], posts: readonly Post[], firstDepth = 0) => {
    let parentId: string | null = null;
    posts.forEach((post, i) => {
      const stored = all.filter((c) => c.apId === idOf(post));
      assert.equal(stored.length, 1, `${idOf(post)} stored once`);
      const [comment] = stored;
      assert.ok(comment);
      assert.equal(comment.depth, firstDepth + i, `depth of ${idOf(post)}`);
      if (i > 0) assert.equal(comment.parentId, parentId, `parent of ${idOf(post)}`);
      assert.equal(comment.author.actorId, post.peer.actorUrl);
      parentId = comment.id;
    });
  };

  it('a 5-deep thread whose deepest reply comes first is fetched, stored and threaded', async () => {
    const posts = thread(5, 'deep');
    const deepest = nth(posts, 4);
    await deliver(deepest);
    await waitFor(
      async () => (await comments()).some((c) => c.apId === idOf(deepest)),
      5000,
      'the deepest reply',
    );
    const all = await comments();
    assertThreaded(all, posts);
    assert.equal(all.find((c) => c.apId === idOf(nth(posts, 0)))?.parentId, null);
    assert.equal(fetchesOf(posts.slice(0, 4)).length, 4, 'each ancestor fetched once');
    // Signed, so servers in authorized-fetch mode answer them too.
    for (const request of fetchesOf(posts.slice(0, 4))) {
      const verdict = await alice.verify(request);
      assert.ok(verdict.ok, verdict.reason);
      assert.equal(verdict.owner, `${bridge.origin}/actors/instance`);
    }

    // The other Creates arrive late, out of order: nothing changes, nothing is duplicated.
    for (const i of [2, 0, 3, 1]) {
      await deliver(nth(posts, i));
    }
    await delay(700);
    const again = await comments();
    assertThreaded(again, posts);
    assert.equal(again.length, all.length);
  });

  it('two replies that need the same ancestors, arriving together, share them', async () => {
    const posts = thread(3, 'shared');
    const last = nth(posts, 2);
    const a = alice.createNote({ content: '<p>leaf a</p>', inReplyTo: idOf(last) });
    const b = bob.createNote({ content: '<p>leaf b</p>', inReplyTo: idOf(last) });
    const leaves: Post[] = [
      { ...a, peer: alice },
      { ...b, peer: bob },
    ];
    await Promise.all(leaves.map(deliver));
    await waitFor(
      async () => {
        const all = await comments();
        return leaves.every((leaf) => all.some((c) => c.apId === idOf(leaf)));
      },
      5000,
      'both leaves',
    );
    const all = await comments();
    for (const leaf of leaves) assertThreaded(all, [...posts, leaf]);
  });

  it('a chain deeper than the fetch limit is ignored and stores nothing; the thread can fill in later', async () => {
    // Seven unknown ancestors: five fetches reach the third, which still answers an unknown post.
    const posts = thread(7, 'long');
    const reply = alice.createNote({
      content: '<p>too deep</p>',
      inReplyTo: idOf(nth(posts, 6)),
    });
    const before = fetchesOf(posts).length;
    await deliver({ ...reply, peer: alice });
    await bridge.app.waitForLog(
      /^reply .* ignored: the thread needs more than 5 fetches/,
      5000,
      (l) => typeof l.msg === 'string' && l.msg.includes(String(reply.note.id)),
    );
    assert.equal(fetchesOf(posts).length - before, 5, 'five fetches, no more');
    const all = await comments();
    for (const p of [...posts.map(idOf), String(reply.note.id)]) {
      assert.equal(
        all.find((c) => c.apId === p),
        undefined,
        `${p} not stored`,
      );
    }

    // Once the top of the thread is known, a later reply to the same post fits within the
    // limit. (The first reply's Create is not processed again: Fedify remembers its id.)
    const [first, second] = posts;
    assert.ok(first && second);
    await deliver(first);
    await deliver(second);
    await waitFor(
      async () => (await comments()).some((c) => c.apId === idOf(second)),
      5000,
      'the top of the long thread',
    );
    const later: Post = {
      ...bob.createNote({ content: '<p>still here</p>', inReplyTo: idOf(nth(posts, 6)) }),
      peer: bob,
    };
    await deliver(later);
    await waitFor(
      async () => (await comments()).some((c) => c.apId === idOf(later)),
      5000,
      'the later reply',
    );
    assertThreaded(await comments(), [...posts, later]);
  });

  it('an ancestor attributed to an actor on another host than its id is refused', async () => {
    // Alice's server serves a post it says Bob wrote, answering the story.
    const forged = alice.createNote({ content: '<p>Bob said this</p>', inReplyTo: articleUri });
    alice.serve(String(forged.note.id), { ...forged.note, attributedTo: bob.actorUrl });
    const reply = bob.createNote({ content: '<p>Did I?</p>', inReplyTo: String(forged.note.id) });
    await deliver({ ...reply, peer: bob });
    await bridge.app.waitForLog(
      /^reply .* ignored: ancestor .* refused: its author .* is on another origin$/,
      5000,
      (l) => typeof l.msg === 'string' && l.msg.includes(String(reply.note.id)),
    );
    const all = await comments();
    assert.equal(
      all.find((c) => c.apId === String(reply.note.id)),
      undefined,
    );
    assert.equal(
      all.find((c) => c.apId === String(forged.note.id)),
      undefined,
    );
  });

  it('an ancestor that answers 404 is refused; the inbox still says 202 and does not retry', async () => {
    const missing = `${alice.actorUrl}/statuses/404404`;
    const reply = bob.createNote({ content: '<p>Replying to a ghost</p>', inReplyTo: missing });
    await deliver({ ...reply, peer: bob });
    await bridge.app.waitForLog(
      /^reply .* ignored: ancestor .* refused: fetch failed \(HTTP 404\)$/,
      5000,
      (l) => typeof l.msg === 'string' && l.msg.includes(String(reply.note.id)),
    );
    await delay(1500);
    const gets = alice.requests.filter(
      (r) => r.method === 'GET' && r.path === new URL(missing).pathname,
    );
    assert.equal(gets.length, 1, 'fetched once: the activity is not retried');
    assert.equal(
      (await comments()).find((c) => c.apId === String(reply.note.id)),
      undefined,
    );
  });
});
