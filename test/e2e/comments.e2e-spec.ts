import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../support/database.js';
import { RemotePeer } from '../support/remote-peer/index.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

interface CommentView {
  id: string;
  apId: string;
  parentId: string | null;
  depth: number;
  author: { actorId: string; handle: string; name: string | null; host: string };
  contentHtml: string;
  contentText: string;
  language: string | null;
  contentWarning: string | null;
  visibility: string;
  status: string;
}

// Replies from independent remote servers (test/support/remote-peer, no Fedify) to a story
// become comments the platform reads back.
void describe('fediverse replies become comments', () => {
  let bridge: Bridge;
  let alice: RemotePeer;
  let bob: RemotePeer;
  let articleUri: string;

  before(async () => {
    bridge = await startBridge();
    alice = await RemotePeer.start({ username: 'alice' });
    bob = await RemotePeer.start({ username: 'bob' });
    const res = await bridge.api('POST', '/api/v1/events', publishedEvent('commented'), ['ingest']);
    const body = (await res.json()) as { articleId: string };
    assert.equal(res.status, 202);
    articleUri = `${bridge.origin}/articles/${body.articleId}`;
  });

  after(async () => {
    await Promise.all([alice.stop(), bob.stop()]);
    await bridge.dispose();
  });

  const inbox = () => `${bridge.origin}/inbox`;
  const comments = async (scope: 'comments:read' | 'admin' = 'comments:read') => {
    const res = await bridge.api('GET', '/api/v1/articles/commented/comments', undefined, [scope]);
    assert.equal(res.status, 200);
    return ((await res.json()) as { comments: CommentView[] }).comments;
  };
  const find = async (apId: string, scope?: 'comments:read' | 'admin') =>
    (await comments(scope)).find((c) => c.apId === apId);

  it('a reply to the story is a comment within 2 s, sanitized, with its author', async () => {
    const { note, create } = alice.createNote({
      content:
        '<p>Lovely piece! <script>alert(1)</script><a href="https://alice.example/x" onclick="x()">more</a></p>',
      inReplyTo: articleUri,
      language: 'en',
    });
    const sent = Date.now();
    const res = await alice.signedPost(inbox(), create);
    assert.equal(res.status, 202, await res.text());
    await waitFor(async () => (await find(String(note.id))) !== undefined, 2000, 'the comment');
    assert.ok(Date.now() - sent < 2000);
    const comment = await find(String(note.id));
    assert.ok(comment);
    assert.equal(comment.parentId, null);
    assert.equal(comment.depth, 0);
    assert.equal(comment.author.actorId, alice.actorUrl);
    assert.equal(comment.author.handle, `@alice@${alice.domain}`);
    assert.equal(comment.visibility, 'public');
    assert.equal(comment.status, 'approved');
    assert.equal(comment.language, 'en');
    assert.doesNotMatch(comment.contentHtml, /script|onclick|alert/);
    assert.match(
      comment.contentHtml,
      /<a href="https:\/\/alice\.example\/x"[^>]*rel="nofollow ugc noopener"/,
    );
    assert.match(comment.contentText, /^Lovely piece! more$/);

    // The same Create again: still one comment.
    assert.equal((await alice.signedPost(inbox(), create)).status, 202);
    await delay(300);
    assert.equal((await comments()).filter((c) => c.apId === note.id).length, 1);
  });

  it('a reply to a comment is threaded under it; a content warning is kept', async () => {
    const parent = alice.createNote({ content: '<p>First!</p>', inReplyTo: articleUri });
    await alice.signedPost(inbox(), parent.create);
    await waitFor(async () => (await find(String(parent.note.id))) !== undefined, 2000, 'parent');
    const child = bob.createNote({
      content: '<p>Spoilers ahead</p>',
      inReplyTo: String(parent.note.id),
      sensitive: true,
      summary: 'ending discussed',
    });
    assert.equal((await bob.signedPost(inbox(), child.create)).status, 202);
    await waitFor(async () => (await find(String(child.note.id))) !== undefined, 2000, 'child');
    const [p, c] = [await find(String(parent.note.id)), await find(String(child.note.id))];
    assert.ok(p && c);
    assert.equal(c.parentId, p.id);
    assert.equal(c.depth, 1);
    assert.equal(c.contentWarning, 'ending discussed');
  });

  it('followers-only replies are stored hidden; the admin scope sees them', async () => {
    const hidden = bob.createNote({
      content: '<p>Just for my followers</p>',
      inReplyTo: articleUri,
      visibility: 'followers',
    });
    assert.equal((await bob.signedPost(inbox(), hidden.create)).status, 202);
    await waitFor(
      async () => (await find(String(hidden.note.id), 'admin')) !== undefined,
      2000,
      'the hidden comment',
    );
    assert.equal((await find(String(hidden.note.id), 'admin'))?.visibility, 'followers');
    assert.equal(await find(String(hidden.note.id)), undefined, 'not shown to the platform');
  });

  it('ignores replies to anything else, and objects that are not the actor’s own', async () => {
    const elsewhere = alice.createNote({
      content: '<p>Unrelated</p>',
      inReplyTo: 'https://elsewhere.example/notes/1',
    });
    assert.equal((await alice.signedPost(inbox(), elsewhere.create)).status, 202);
    // Bob sends a Create of a Note attributed to Alice.
    const forged = alice.createNote({ content: '<p>Not mine</p>', inReplyTo: articleUri });
    assert.equal(
      (await bob.signedPost(inbox(), { ...forged.create, actor: bob.actorUrl })).status,
      202,
    );
    await delay(1000);
    const all = await comments('admin');
    assert.equal(
      all.find((c) => c.apId === elsewhere.note.id),
      undefined,
    );
    assert.equal(
      all.find((c) => c.apId === forged.note.id),
      undefined,
    );
  });

  it('the comments API checks its caller and its input', async () => {
    const noScope = await bridge.api('GET', '/api/v1/articles/commented/comments', undefined, [
      'ingest',
    ]);
    assert.equal(noScope.status, 403);
    const unknown = await bridge.api('GET', '/api/v1/articles/nope/comments', undefined, [
      'comments:read',
    ]);
    assert.equal(unknown.status, 404);
    const bad = await bridge.api('GET', '/api/v1/articles/commented/comments?limit=0', undefined, [
      'comments:read',
    ]);
    assert.equal(bad.status, 400);
    const page = await bridge.api('GET', '/api/v1/articles/commented/comments?limit=1', undefined, [
      'comments:read',
    ]);
    const first = (await page.json()) as { comments: CommentView[]; next: string | null };
    assert.equal(first.comments.length, 1);
    assert.ok(first.next);
    const rest = await bridge.api(
      'GET',
      `/api/v1/articles/commented/comments?limit=200&cursor=${first.next}`,
      undefined,
      ['comments:read'],
    );
    const second = (await rest.json()) as { comments: CommentView[] };
    assert.ok(second.comments.length >= 2);
    assert.ok(!second.comments.some((c) => c.id === first.comments[0]?.id), 'no repeats');
  });

  it('an edit by its author replaces the text; a Delete removes it; stale edits are ignored', async () => {
    const { note, create } = alice.createNote({ content: '<p>Frist!</p>', inReplyTo: articleUri });
    await alice.signedPost(inbox(), create);
    await waitFor(async () => (await find(String(note.id))) !== undefined, 2000, 'the comment');
    const update = (content: string, updated: string, actor = alice.actorUrl) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${String(note.id)}#updates/${updated}`,
      type: 'Update',
      actor,
      to: note.to,
      cc: note.cc,
      object: { ...note, content, updated },
    });
    const later = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    assert.equal((await alice.signedPost(inbox(), update('<p>First!</p>', later))).status, 202);
    await waitFor(
      async () => (await find(String(note.id)))?.contentText === 'First!',
      2000,
      'the edit',
    );
    // An Update older than the current version, and one by someone else, change nothing.
    await alice.signedPost(inbox(), update('<p>Stale</p>', '2020-01-01T00:00:00Z'));
    await bob.signedPost(inbox(), update('<p>Hijacked</p>', later, bob.actorUrl));
    await delay(500);
    assert.equal((await find(String(note.id)))?.contentText, 'First!');

    const del = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${String(note.id)}#delete`,
      type: 'Delete',
      actor: alice.actorUrl,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
      object: { id: note.id, type: 'Tombstone' },
    };
    assert.equal((await alice.signedPost(inbox(), del)).status, 202);
    await waitFor(
      async () => (await find(String(note.id))) === undefined,
      2000,
      'the comment gone from the platform view',
    );
    assert.equal((await find(String(note.id), 'admin'))?.status, 'removed');
  });

  it('a Delete that arrives before its Create keeps the reply out', async () => {
    const { note, create } = bob.createNote({ content: '<p>Oops</p>', inReplyTo: articleUri });
    const del = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${String(note.id)}#delete`,
      type: 'Delete',
      actor: bob.actorUrl,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
      object: { id: note.id, type: 'Tombstone' },
    };
    assert.equal((await bob.signedPost(inbox(), del)).status, 202);
    await delay(300);
    assert.equal((await bob.signedPost(inbox(), create)).status, 202);
    await delay(700);
    assert.equal(await find(String(note.id), 'admin'), undefined);
  });

  it('a deleted actor loses all its comments', async () => {
    const carol = await RemotePeer.start({ username: 'carol' });
    try {
      const notes = [1, 2].map(() =>
        carol.createNote({ content: '<p>Carol was here</p>', inReplyTo: articleUri }),
      );
      for (const n of notes) await carol.signedPost(inbox(), n.create);
      await waitFor(
        async () =>
          (await comments()).filter((c) => c.author.actorId === carol.actorUrl).length === 2,
        2000,
        "carol's comments",
      );
      const del = {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${carol.actorUrl}#delete`,
        type: 'Delete',
        actor: carol.actorUrl,
        to: ['https://www.w3.org/ns/activitystreams#Public'],
        object: carol.actorUrl,
      };
      assert.equal((await carol.signedPost(inbox(), del)).status, 202);
      await waitFor(
        async () => !(await comments()).some((c) => c.author.actorId === carol.actorUrl),
        2000,
        "carol's comments removed",
      );
    } finally {
      await carol.stop();
    }
  });

  it('the story’s replies and context collections list the shown comments, nothing else', async () => {
    const shown = await comments();
    const all = await comments('admin');
    const get = async (path: string) => {
      const res = await fetch(`${articleUri}/${path}`, {
        headers: { accept: 'application/activity+json' },
      });
      assert.equal(res.status, 200, path);
      return (await res.json()) as {
        id: string;
        type: string;
        totalItems: number;
        first: { orderedItems: string[] };
      };
    };
    const replies = await get('replies');
    assert.equal(replies.id, `${articleUri}/replies`);
    assert.equal(replies.type, 'OrderedCollection');
    const direct = shown.filter((c) => c.parentId === null).map((c) => c.apId);
    assert.deepEqual(replies.first.orderedItems, direct);
    assert.equal(replies.totalItems, direct.length);
    const context = await get('context');
    assert.deepEqual(context.first.orderedItems, [articleUri, ...shown.map((c) => c.apId)]);
    const hiddenOrRemoved = all.filter((c) => !shown.some((s) => s.id === c.id));
    assert.ok(hiddenOrRemoved.length >= 2, 'the followers-only and the removed replies exist');
    for (const c of hiddenOrRemoved) {
      assert.ok(!context.first.orderedItems.includes(c.apId), `${c.apId} is not listed`);
    }
  });

  it('likes and boosts of the story are counted with who, and undone', async () => {
    const engagement = async () => {
      const res = await bridge.api('GET', '/api/v1/articles/commented', undefined, [
        'comments:read',
      ]);
      assert.equal(res.status, 200);
      return (await res.json()) as {
        likes: number;
        boosts: number;
        comments: number;
        likedBy: string[];
        boostedBy: string[];
      };
    };
    const activity = (peer: RemotePeer, type: string, n: number, object: unknown) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${peer.actorUrl}#${type.toLowerCase()}s/${n}`,
      type,
      actor: peer.actorUrl,
      object,
    });
    const like = activity(alice, 'Like', 1, articleUri);
    const boost = {
      ...activity(bob, 'Announce', 1, articleUri),
      to: ['https://www.w3.org/ns/activitystreams#Public'],
    };
    assert.equal((await alice.signedPost(inbox(), like)).status, 202);
    assert.equal((await alice.signedPost(inbox(), like)).status, 202);
    assert.equal((await bob.signedPost(inbox(), boost)).status, 202);
    assert.equal((await bob.signedPost(inbox(), activity(bob, 'Like', 2, articleUri))).status, 202);
    // A like of something that is not ours is not counted.
    await alice.signedPost(inbox(), activity(alice, 'Like', 3, 'https://elsewhere.example/x'));
    await waitFor(async () => (await engagement()).boosts === 1, 2000, 'the boost');
    await waitFor(async () => (await engagement()).likes === 2, 2000, 'the likes');
    const counted = await engagement();
    assert.deepEqual(counted.likedBy.sort(), [alice.actorUrl, bob.actorUrl].sort());
    assert.deepEqual(counted.boostedBy, [bob.actorUrl]);
    assert.equal(counted.comments, (await comments()).length);

    // Undo with the Like embedded (Mastodon), and Undo naming the Announce by id.
    await alice.signedPost(inbox(), activity(alice, 'Undo', 1, like));
    await bob.signedPost(inbox(), activity(bob, 'Undo', 2, boost.id));
    await waitFor(
      async () => {
        const e = await engagement();
        return e.likes === 1 && e.boosts === 0;
      },
      2000,
      'the undos',
    );
    assert.deepEqual((await engagement()).likedBy, [bob.actorUrl]);
    const missing = await bridge.api('GET', '/api/v1/articles/nope', undefined, ['comments:read']);
    assert.equal(missing.status, 404);
  });

  it('a Flag naming our story or a comment becomes a report; others are not kept', async () => {
    const [someComment] = await comments();
    assert.ok(someComment);
    const flag = (n: number, object: string[], content: string) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${alice.actorUrl}#flags/${n}`,
      type: 'Flag',
      actor: alice.actorUrl,
      content,
      object,
    });
    assert.equal(
      (
        await alice.signedPost(
          inbox(),
          flag(1, [someComment.author.actorId, someComment.apId], 'Spam <b>link</b>'),
        )
      ).status,
      202,
    );
    assert.equal(
      (await alice.signedPost(inbox(), flag(2, ['https://elsewhere.example/x'], 'not ours')))
        .status,
      202,
    );
    const reports = async () => {
      const res = await bridge.api('GET', '/api/v1/reports', undefined, ['comments:write']);
      assert.equal(res.status, 200);
      return (
        (await res.json()) as {
          reports: { apId: string; reporterActorId: string; content: string; targets: string[] }[];
        }
      ).reports;
    };
    await waitFor(async () => (await reports()).length > 0, 2000, 'the report');
    await delay(300);
    const list = await reports();
    assert.equal(list.length, 1, 'the Flag about someone else is not kept');
    const [report] = list;
    assert.ok(report);
    assert.equal(report.reporterActorId, alice.actorUrl);
    assert.equal(report.content, 'Spam link');
    assert.deepEqual(report.targets, [someComment.author.actorId, someComment.apId]);
    const forbidden = await bridge.api('GET', '/api/v1/reports', undefined, ['comments:read']);
    assert.equal(forbidden.status, 403);
  });

  it('moderation: the publication holds first replies and keywords; approve, reject, block', async () => {
    const dave = await RemotePeer.start({ username: 'dave' });
    try {
      const write = (method: string, path: string, body?: unknown, scope = 'comments:write') =>
        bridge.api(method, path, body, [scope as 'comments:write']);
      const bad = await write('PUT', '/api/v1/publications/pub-1/moderation', { mode: 'strict' });
      assert.equal(bad.status, 400);
      assert.equal(
        (await write('PUT', '/api/v1/publications/nope/moderation', { mode: 'auto' })).status,
        404,
      );
      const set = await write('PUT', '/api/v1/publications/pub-1/moderation', {
        mode: 'hold_first_time',
        keywords: ['Casino'],
      });
      assert.equal(set.status, 200);
      assert.deepEqual(await set.json(), { mode: 'hold_first_time', keywords: ['casino'] });

      const pendingIds = async () => {
        const res = await write('GET', '/api/v1/comments/pending');
        assert.equal(res.status, 200);
        return ((await res.json()) as { comments: CommentView[] }).comments.map((c) => c.apId);
      };
      // Dave's first reply is held; approved, it shows.
      const first = dave.createNote({ content: '<p>Hello there</p>', inReplyTo: articleUri });
      await dave.signedPost(inbox(), first.create);
      await waitFor(async () => (await pendingIds()).includes(String(first.note.id)), 2000, 'held');
      assert.equal(await find(String(first.note.id)), undefined, 'not shown while held');
      const held = await find(String(first.note.id), 'admin');
      assert.ok(held);
      const approved = await write('POST', `/api/v1/comments/${held.id}/approve`);
      assert.equal(approved.status, 200);
      assert.equal((await find(String(first.note.id)))?.status, 'approved');
      // His second reply is not his first any more.
      const second = dave.createNote({ content: '<p>Me again</p>', inReplyTo: articleUri });
      await dave.signedPost(inbox(), second.create);
      await waitFor(async () => (await find(String(second.note.id))) !== undefined, 2000, 'shown');

      // A keyword holds even a known commenter's reply; rejected, it never shows.
      const spam = alice.createNote({
        content: '<p>Best CASINO in town</p>',
        inReplyTo: articleUri,
      });
      await alice.signedPost(inbox(), spam.create);
      await waitFor(async () => (await pendingIds()).includes(String(spam.note.id)), 2000, 'held');
      const spamId = (await find(String(spam.note.id), 'admin'))?.id ?? '';
      assert.equal((await write('POST', `/api/v1/comments/${spamId}/reject`)).status, 200);
      assert.equal((await find(String(spam.note.id), 'admin'))?.status, 'rejected');
      assert.equal(await find(String(spam.note.id)), undefined);
      assert.equal(
        (await write('POST', '/api/v1/comments/00000000-0000-4000-8000-000000000000/approve'))
          .status,
        404,
      );

      // Dave follows the author before the block.
      const ada = (await dave.webfinger(`ada@${bridge.host}`, bridge.origin)).self;
      const follow = await dave.follow(ada);
      await dave.waitForActivity('Accept', String(follow.id));

      // Blocking Dave hides what he wrote, drops his follow and refuses what he sends next.
      assert.equal(
        (await write('PUT', '/api/v1/blocks', { kind: 'actor', value: dave.actorUrl })).status,
        403,
        'blocks need admin',
      );
      const blocked = await write(
        'PUT',
        '/api/v1/blocks',
        { kind: 'actor', value: dave.actorUrl, reason: 'spam' },
        'admin',
      );
      assert.deepEqual(await blocked.json(), { blocked: true, commentsHidden: 2 });
      assert.equal(await find(String(second.note.id)), undefined);
      const after = dave.createNote({ content: '<p>Still here</p>', inReplyTo: articleUri });
      await dave.signedPost(inbox(), after.create);
      await delay(700);
      assert.equal(await find(String(after.note.id), 'admin'), undefined, 'refused');
      const followers = () =>
        bridge.sql('SELECT 1 FROM followers WHERE follower_uri = $1', [dave.actorUrl]);
      assert.equal((await followers()).length, 0, 'the follow is dropped');
      const again = await dave.follow(ada);
      await delay(700);
      assert.equal(
        dave.received.some(
          (d) =>
            d.activity?.type === 'Accept' && JSON.stringify(d.activity).includes(String(again.id)),
        ),
        false,
        'a Follow from a blocked actor is not accepted',
      );
      assert.equal((await followers()).length, 0);
      const list = await write('GET', '/api/v1/blocks', undefined, 'admin');
      assert.deepEqual(
        ((await list.json()) as { blocks: { kind: string; value: string }[] }).blocks.map(
          (b) => `${b.kind} ${b.value}`,
        ),
        [`actor ${dave.actorUrl}`],
      );
    } finally {
      await dave.stop();
    }
  });
});
