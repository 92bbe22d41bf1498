import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Bridge, startBridge } from './support/bridge.js';

const AP = 'application/activity+json';
const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

interface Collection {
  id: string;
  type: string;
  totalItems?: number;
  first?: string;
  next?: string;
  partOf?: string;
  orderedItems?: Record<string, unknown>[];
}

/** A story written with SQL as the publisher leaves it, and its Create. */
interface Story {
  readonly id: string;
  readonly platformId: string;
  readonly url: string;
  readonly createUri: string;
}

// Stories are written with SQL (articles, article_federation, outbound_activities), not ingested:
// no publish job exists for them, so the publisher never adds activities of its own here.
void describe('outbox, featured collection and pins', () => {
  let bridge: Bridge;
  let ada: string;
  let grace: string;
  let engines: string;
  /** stories[n - 1] is story n; story 21 is the newest, in the publication, by Ada and Grace. */
  const stories: Story[] = [];
  let deleted: Story;
  let announceUri: string;

  const actorUrl = (id: string): string => `${bridge.origin}/actors/${id}`;
  const get = async (path: string): Promise<Collection> => {
    const res = await fetch(`${bridge.origin}${path}`, { headers: { accept: AP } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/activity\+json/);
    return (await res.json()) as Collection;
  };
  const getUrl = (url: string): Promise<Collection> => get(url.slice(bridge.origin.length));

  async function createActor(path: string, body: unknown): Promise<string> {
    const res = await bridge.api('PUT', path, body);
    const json = (await res.json()) as { actorId: string };
    assert.equal(res.status, 201, JSON.stringify(json));
    return json.actorId.slice(json.actorId.lastIndexOf('/') + 1);
  }

  async function insertStory(
    n: number,
    options: {
      title?: string;
      authors?: string[];
      publication?: string | null;
      deleted?: boolean;
    } = {},
  ): Promise<Story> {
    const authors = options.authors ?? [ada];
    const platformId = `ob-${n}`;
    const created = new Date(Date.parse('2026-11-01T00:00:00Z') + n * 60_000).toISOString();
    const [row] = await bridge.sql<{ id: string }>(
      `INSERT INTO articles (platform_id, canonical_url, title, subtitle, content_html, language,
         tags, visibility, comments_enabled, primary_author_id, author_ids, publication_id,
         content_hash, published_at, source_updated_at, last_event_id, deleted_at)
       VALUES ($1, $2, $3, 'A subtitle', '<p>Body</p>', 'en', '["Engines"]', 'public', $4, $5,
         $6, $7, 'h', $8, $8, $9, $10)
       RETURNING id`,
      [
        platformId,
        `https://stories.example/p/${platformId}`,
        options.title ?? `Story ${n}`,
        n !== 21,
        authors[0],
        JSON.stringify(authors),
        options.publication ?? null,
        created,
        randomUUID(),
        options.deleted === true ? created : null,
      ],
    );
    assert.ok(row);
    const url = `${bridge.origin}/articles/${row.id}`;
    const createUri = `${bridge.origin}/activities/${randomUUID()}`;
    const [activity] = await bridge.sql<{ id: string }>(
      `INSERT INTO outbound_activities (uri, type, actor_id, article_id, object_uri, body,
         created_at, enqueued_at)
       VALUES ($1, 'Create', $2, $3, $4, $5, $6, $6) RETURNING id`,
      [
        createUri,
        authors[0],
        row.id,
        url,
        JSON.stringify({
          '@context': ['https://www.w3.org/ns/activitystreams', { sensitive: 'as:sensitive' }],
          id: createUri,
          type: 'Create',
          actor: actorUrl(authors[0] ?? ''),
          published: created,
          to: [PUBLIC],
          cc: [`${actorUrl(authors[0] ?? '')}/followers`],
          // The Article as it was first sent: the outbox shows the story as it is now instead.
          object: { id: url, type: 'Article', name: 'Old title', content: '<p>Old</p>' },
        }),
        created,
      ],
    );
    assert.ok(activity);
    await bridge.sql(
      `INSERT INTO article_federation (article_id, state, actor_id, rendered_hash,
         create_activity_id, last_activity_id)
       VALUES ($1, $2, $3, 'r', $4, $4)`,
      [row.id, options.deleted === true ? 'deleted' : 'published', authors[0], activity.id],
    );
    return { id: row.id, platformId, url, createUri };
  }

  before(async () => {
    bridge = await startBridge();
    ada = await createActor('/api/v1/authors/ob-ada', { username: 'ada', displayName: 'Ada' });
    grace = await createActor('/api/v1/authors/ob-grace', {
      username: 'grace',
      displayName: 'Grace',
    });
    engines = await createActor('/api/v1/publications/ob-engines', {
      slug: 'engines',
      name: 'Engines',
      members: ['ob-ada', 'ob-grace'],
    });
    for (let n = 1; n <= 20; n++) stories.push(await insertStory(n));
    stories.push(
      await insertStory(21, {
        title: 'Current title',
        authors: [ada, grace],
        publication: engines,
      }),
    );
    // Newer than every other, but deleted: in no collection.
    deleted = await insertStory(22, { deleted: true });
    announceUri = `${bridge.origin}/activities/${randomUUID()}`;
    await bridge.sql(
      `INSERT INTO outbound_activities (uri, type, actor_id, article_id, object_uri, body,
         created_at, enqueued_at)
       VALUES ($1, 'Announce', $2, $3, $4, $5, now(), now())`,
      [
        announceUri,
        engines,
        stories[20]?.id,
        stories[20]?.url,
        JSON.stringify({
          '@context': 'https://www.w3.org/ns/activitystreams',
          id: announceUri,
          type: 'Announce',
          actor: actorUrl(engines),
          published: '2026-11-01T00:21:30Z',
          to: [PUBLIC],
          cc: [`${actorUrl(engines)}/followers`, actorUrl(ada)],
          object: stories[20]?.url,
        }),
      ],
    );
  });
  after(async () => {
    await bridge.dispose();
  });

  it("serves an author's outbox newest first, in pages of 20, with the stories as they are now", async () => {
    const outbox = await get(`/actors/${ada}/outbox`);
    assert.equal(outbox.type, 'OrderedCollection');
    assert.equal(outbox.id, `${actorUrl(ada)}/outbox`);
    assert.equal(outbox.totalItems, 21, 'the deleted story is not counted');
    assert.equal(outbox.first, `${actorUrl(ada)}/outbox?cursor=`);
    assert.equal(outbox.orderedItems, undefined);

    const first = await getUrl(outbox.first ?? '');
    assert.equal(first.type, 'OrderedCollectionPage');
    assert.equal(first.partOf, `${actorUrl(ada)}/outbox`);
    const expected = stories.map((s) => s.createUri).reverse();
    assert.deepEqual(
      first.orderedItems?.map((a) => a.id),
      expected.slice(0, 20),
    );
    assert.ok(first.next?.startsWith(`${actorUrl(ada)}/outbox?cursor=`), first.next);

    const create = first.orderedItems[0] as Record<string, unknown> & {
      object: Record<string, unknown> & {
        interactionPolicy: unknown;
        url: unknown;
        contentMap: unknown;
      };
    };
    assert.equal(create.type, 'Create');
    assert.equal(create.actor, actorUrl(ada));
    assert.equal(create.published, '2026-11-01T00:21:00.000Z', 'as sent');
    assert.deepEqual(create.to, [PUBLIC]);
    assert.deepEqual(create.cc, [
      `${actorUrl(ada)}/followers`,
      `${actorUrl(grace)}/followers`,
      `${actorUrl(engines)}/followers`,
    ]);
    assert.ok(
      JSON.stringify(create['@context']).includes('https://gotosocial.org/ns#'),
      "the Article's context",
    );
    assert.equal(create.object.id, stories[20]?.url);
    assert.equal(create.object.type, 'Article');
    assert.equal(create.object.name, 'Current title');
    assert.equal(create.object.content, '<p>Body</p>');
    assert.equal(create.object['@context'], undefined);
    assert.deepEqual(create.object.attributedTo, [
      actorUrl(ada),
      actorUrl(grace),
      actorUrl(engines),
    ]);
    // Terms Fedify's vocabulary does not model come through as rendered.
    assert.deepEqual(create.object.interactionPolicy, {
      canReply: { always: [actorUrl(ada), actorUrl(grace)] },
    });
    assert.deepEqual(create.object.url, {
      type: 'Link',
      href: 'https://stories.example/p/ob-21',
      mediaType: 'text/html',
      mimeType: 'text/html',
    });
    assert.deepEqual(create.object.contentMap, { en: '<p>Body</p>' });
    assert.deepEqual(create.object.tag, [
      { type: 'Hashtag', href: `${bridge.origin}/tags/engines`, name: '#Engines' },
    ]);

    const second = await getUrl(first.next ?? '');
    assert.equal(second.type, 'OrderedCollectionPage');
    assert.deepEqual(
      second.orderedItems?.map((a) => a.id),
      expected.slice(20),
    );
    assert.equal((second.orderedItems[0]?.object as { name: string }).name, 'Story 1');
    assert.equal(second.next, undefined);
  });

  it("serves a publication's Announces as sent, and 404 for an unknown actor", async () => {
    const outbox = await get(`/actors/${engines}/outbox`);
    assert.equal(outbox.totalItems, 1);
    const page = await getUrl(outbox.first ?? '');
    assert.deepEqual(page.orderedItems, [
      {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: announceUri,
        type: 'Announce',
        actor: actorUrl(engines),
        published: '2026-11-01T00:21:30Z',
        to: [PUBLIC],
        cc: [`${actorUrl(engines)}/followers`, actorUrl(ada)],
        object: stories[20]?.url,
      },
    ]);
    assert.equal(Object.keys(page.orderedItems[0] ?? {})[0], '@context');
    const graceOutbox = await get(`/actors/${grace}/outbox`);
    assert.equal(graceOutbox.totalItems, 0, 'a co-author did not send the Create');

    for (const path of [`/actors/${randomUUID()}/outbox`, `/actors/${randomUUID()}/featured`]) {
      const res = await fetch(`${bridge.origin}${path}`, { headers: { accept: AP } });
      assert.equal(res.status, 404, path);
    }
  });

  it('pins and unpins stories; featured lists pinned live stories, newest pin first', async () => {
    const [s3, s5, s21] = [stories[2], stories[4], stories[20]];
    assert.ok(s3 && s5 && s21);
    const empty = await get(`/actors/${ada}/featured`);
    assert.equal(empty.type, 'OrderedCollection');
    assert.equal(empty.id, `${actorUrl(ada)}/featured`);
    assert.equal(empty.totalItems, 0);
    assert.equal(empty.orderedItems, undefined);

    const pin = async (story: Story, method: 'PUT' | 'DELETE') => {
      const res = await bridge.api(method, `/api/v1/articles/${story.platformId}/pin`, undefined, [
        'ingest',
      ]);
      const body = (await res.json()) as { platformId: string; pinned: boolean; pinnedAt: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      return body;
    };
    const first = await pin(s3, 'PUT');
    assert.equal(first.platformId, 'ob-3');
    assert.equal(first.pinned, true);
    assert.ok(Math.abs(Date.parse(first.pinnedAt) - Date.now()) < 60_000, first.pinnedAt);
    await pin(s5, 'PUT');
    await pin(s21, 'PUT');
    assert.deepEqual(await pin(s3, 'PUT'), first, 'pinning again keeps the first pin');

    // Bare ids, which Mastodon fetches (it skips embedded objects that are not Notes).
    const featured = await get(`/actors/${ada}/featured`);
    assert.equal(featured.totalItems, 3);
    assert.deepEqual(featured.orderedItems, [s21.url, s5.url, s3.url]);
    const pinned = await fetch(s21.url, { headers: { accept: AP } });
    assert.equal(((await pinned.json()) as { name: string }).name, 'Current title');
    const ids = async (actor: string) =>
      (await get(`/actors/${actor}/featured`)).orderedItems as unknown as string[] | undefined;
    assert.deepEqual(await ids(grace), [s21.url], 'a co-author');
    assert.deepEqual(await ids(engines), [s21.url], 'the publication');

    assert.deepEqual(await pin(s3, 'DELETE'), {
      platformId: 'ob-3',
      pinned: false,
      pinnedAt: null,
    });
    assert.deepEqual(await ids(ada), [s21.url, s5.url]);
    assert.deepEqual(await pin(s3, 'DELETE'), {
      platformId: 'ob-3',
      pinned: false,
      pinnedAt: null,
    });
  });

  it('refuses unknown and deleted stories, and calls without the ingest scope', async () => {
    const call = (method: string, platformId: string, scopes: ['ingest'] | ['comments:read']) =>
      bridge.api(method, `/api/v1/articles/${platformId}/pin`, undefined, scopes);
    for (const method of ['PUT', 'DELETE']) {
      const unknown = await call(method, 'no-such-story', ['ingest']);
      assert.equal(unknown.status, 404);
      assert.deepEqual(await unknown.json(), {
        error: 'not_found',
        message: 'no story no-such-story',
      });
      const gone = await call(method, deleted.platformId, ['ingest']);
      assert.equal(gone.status, 409);
      assert.deepEqual(await gone.json(), {
        error: 'article_deleted',
        message: 'story ob-22 was deleted; its pin cannot change',
      });
      assert.equal((await call(method, 'ob-1', ['comments:read'])).status, 403);
      const anonymous = await fetch(`${bridge.origin}/api/v1/articles/ob-1/pin`, { method });
      assert.equal(anonymous.status, 401);
    }
    const [row] = await bridge.sql<{ pinned_at: Date | null }>(
      `SELECT pinned_at FROM articles WHERE platform_id = 'ob-1'`,
    );
    assert.equal(row?.pinned_at, null, 'refused calls changed nothing');
  });
});
