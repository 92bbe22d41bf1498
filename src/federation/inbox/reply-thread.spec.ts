import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplyPlace } from '../../comments/comment-intake.js';
import { type FetchedPost, type ThreadPost, walkUpThread } from './reply-thread.js';

const STORY = 'https://bridge.example/articles/0b7c1a52-4b0e-4a4c-9a43-5d3f1b8f6f01';
const STORY_PLACE: ReplyPlace = { articleId: 'story', parentId: null, depth: 0 };

interface Post extends ThreadPost {
  readonly name: string;
}

const post = (id: string, inReplyTo: string | null, author = authorOf(id)): Post => ({
  name: id,
  id: new URL(id),
  attributionId: new URL(author),
  replyTargetId: inReplyTo === null ? null : new URL(inReplyTo),
});

function authorOf(id: string): string {
  return `${new URL(id).origin}/users/someone`;
}

/** A remote world: posts by URL; the story is the only known place. */
function world(
  posts: readonly Post[],
  known: Record<string, ReplyPlace> = { [STORY]: STORY_PLACE },
) {
  const byUrl = new Map(posts.map((p) => [p.name, p]));
  const fetched: string[] = [];
  return {
    fetched,
    fetchPost: (url: URL): Promise<FetchedPost<Post>> => {
      fetched.push(url.href);
      const found = byUrl.get(url.href);
      return Promise.resolve(
        found === undefined ? { ok: false, reason: 'HTTP 404' } : { ok: true, post: found },
      );
    },
    placeFor: (uri: string): Promise<ReplyPlace | null> => Promise.resolve(known[uri] ?? null),
  };
}

/** `n` posts `a.example/notes/1` … `/n`, alternating two hosts; the first answers the story. */
function chain(n: number): Post[] {
  const ids = Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? `https://a.example/notes/${i + 1}` : `https://b.example/notes/${i + 1}`,
  );
  return ids.map((id, i) => post(id, i === 0 ? STORY : (ids[i - 1] ?? null)));
}

const urlOfLast = (posts: readonly Post[]): URL => {
  const last = posts.at(-1);
  assert.ok(last?.id);
  return last.id;
};

describe('walkUpThread (placing a reply whose parent is unknown)', () => {
  it('fetches up to a known place and returns the ancestors top-down', async () => {
    const posts = chain(4);
    const w = world(posts);
    const walk = await walkUpThread(urlOfLast(posts), w);
    assert.ok(walk.ok, JSON.stringify(walk));
    assert.deepEqual(walk.anchor, STORY_PLACE);
    assert.deepEqual(
      walk.ancestors.map((p) => p.name),
      posts.map((p) => p.name),
    );
    assert.equal(walk.fetches, 4);
    assert.deepEqual(w.fetched, posts.map((p) => p.name).reverse());
  });

  it('stops at a known comment', async () => {
    const posts = chain(3);
    const comment: ReplyPlace = { articleId: 'story', parentId: 'c1', depth: 3 };
    const w = world(posts, { [String(posts[0]?.name)]: comment });
    const walk = await walkUpThread(urlOfLast(posts), w);
    assert.ok(walk.ok);
    assert.deepEqual(walk.anchor, comment);
    assert.deepEqual(
      walk.ancestors.map((p) => p.name),
      posts.slice(1).map((p) => p.name),
    );
  });

  it('gives up after 5 fetches, and counts failed fetches too', async () => {
    const posts = chain(6);
    const w = world(posts);
    const walk = await walkUpThread(urlOfLast(posts), w);
    assert.equal(walk.ok, false);
    assert.equal(walk.fetches, 5);
    assert.equal(w.fetched.length, 5);
    assert.match(walk.reason, /more than 5 fetches/);

    const missing = world([]);
    const failed = await walkUpThread(new URL('https://a.example/notes/404'), missing);
    assert.equal(failed.ok, false);
    assert.equal(failed.fetches, 1);
    assert.match(failed.reason, /notes\/404 refused: HTTP 404/);

    const five = chain(5);
    assert.ok((await walkUpThread(urlOfLast(five), world(five))).ok, 'exactly 5 is allowed');
  });

  it('gives up past the ancestor limit', async () => {
    const posts = chain(4);
    const walk = await walkUpThread(urlOfLast(posts), {
      ...world(posts),
      maxFetches: 100,
      maxAncestors: 3,
    });
    assert.equal(walk.ok, false);
    assert.match(walk.reason, /more than 3 unknown ancestors/);
  });

  it('stops at a cycle, including one through the reply itself', async () => {
    const a = 'https://a.example/notes/a';
    const b = 'https://b.example/notes/b';
    const w = world([post(a, b), post(b, a)]);
    const walk = await walkUpThread(new URL(a), w);
    assert.equal(walk.ok, false);
    assert.match(walk.reason, /loops back to https:\/\/a\.example\/notes\/a/);
    assert.equal(w.fetched.length, 2);

    const reply = 'https://c.example/notes/reply';
    const w2 = world([post(a, reply)]);
    const back = await walkUpThread(new URL(a), { ...w2, seen: [reply] });
    assert.equal(back.ok, false);
    assert.match(back.reason, /loops back to https:\/\/c\.example/);
    assert.equal(w2.fetched.length, 1);
  });

  it('refuses an ancestor whose author is on another origin than its id', async () => {
    const forged = post('https://a.example/notes/1', STORY, 'https://b.example/users/victim');
    const walk = await walkUpThread(new URL('https://a.example/notes/1'), world([forged]));
    assert.equal(walk.ok, false);
    assert.match(walk.reason, /author https:\/\/b\.example\/users\/victim/);

    const otherPort = post('https://a.example/notes/2', STORY, 'https://a.example:8443/users/x');
    const walk2 = await walkUpThread(new URL('https://a.example/notes/2'), world([otherPort]));
    assert.equal(walk2.ok, false, 'the port is part of the origin');
  });

  it('refuses a chain that ends at something that is not ours, or at a post with no id', async () => {
    const top = post('https://a.example/notes/1', null);
    const walk = await walkUpThread(new URL('https://a.example/notes/1'), world([top]));
    assert.equal(walk.ok, false);
    assert.match(walk.reason, /answers nothing/);

    const nameless: Post = { ...post('https://a.example/notes/2', STORY), id: null };
    const walk2 = await walkUpThread(new URL('https://a.example/notes/2'), world([nameless]));
    assert.equal(walk2.ok, false);
    assert.match(walk2.reason, /no id/);
  });

  it('takes a throwing fetcher as a failed fetch', async () => {
    const walk = await walkUpThread(new URL('https://a.example/notes/1'), {
      fetchPost: () => Promise.reject(new Error('connection reset')),
      placeFor: () => Promise.resolve(null),
    });
    assert.equal(walk.ok, false);
    assert.match(walk.reason, /connection reset/);
  });

  it('follows a post served under another id, and stops if that id is known', async () => {
    const asked = 'https://a.example/@x/1';
    const stored: ReplyPlace = { articleId: 'story', parentId: 'c9', depth: 1 };
    const real = post('https://a.example/notes/1', STORY);
    const w = world([{ ...real, name: asked }], { [String(real.id?.href)]: stored });
    const walk = await walkUpThread(new URL(asked), w);
    assert.ok(walk.ok);
    assert.deepEqual(walk.anchor, stored);
    assert.deepEqual(walk.ancestors, []);
  });
});
