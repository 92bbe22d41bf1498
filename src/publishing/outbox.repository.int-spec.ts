import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { ArticleRepository } from '../articles/article.repository.js';
import type { OutboundActivityType } from '../delivery/delivery.entity.js';
import {
  createTestSchema,
  openTestDataSource,
  type TestSchema,
  uniqueName,
} from '../../test/support/database.js';
import { OutboxRepository } from './outbox.repository.js';

// Outbox pages and featured stories on a real Postgres, with rows written by SQL as the publisher
// leaves them. Timestamps are literal (microseconds included) so order and ties are exact.

interface StoryOptions {
  readonly authors: readonly string[];
  readonly publication?: string | null;
  /** The article_federation state; `null` for a story not federated yet. */
  readonly federation?: 'published' | 'deleted' | null;
  /** Deleted on the platform (articles.deleted_at) at this time. */
  readonly deletedAt?: string;
  readonly pinnedAt?: string;
}

describe('OutboxRepository', () => {
  let schema: TestSchema;
  let db: DataSource;
  let sut: OutboxRepository;
  let articles: ArticleRepository;

  before(async () => {
    schema = await createTestSchema();
    db = await openTestDataSource(schema);
    sut = new OutboxRepository(db);
    articles = new ArticleRepository(db);
  });
  after(async () => {
    await db.destroy();
    await schema.drop();
  });

  async function insertActor(kind: 'author' | 'publication'): Promise<string> {
    const name = uniqueName(kind.slice(0, 3));
    const { rows } = await schema.pool.query<{ id: string }>(
      `INSERT INTO actors (kind, platform_id, handle, platform_handle, name)
       VALUES ($1, $2::text, $2::text, $2::text, $2::text) RETURNING id`,
      [kind, name],
    );
    assert.ok(rows[0]);
    return rows[0].id;
  }

  /** A story (and its federation row, unless `federation` is null); returns its id. */
  async function insertStory(options: StoryOptions): Promise<string> {
    const platformId = uniqueName('s');
    const { rows } = await schema.pool.query<{ id: string }>(
      `INSERT INTO articles (platform_id, canonical_url, title, content_html, tags, visibility,
         primary_author_id, author_ids, publication_id, content_hash, published_at,
         source_updated_at, last_event_id, deleted_at, pinned_at)
       VALUES ($1, 'https://stories.example/' || $1, $1, '<p>x</p>', '[]', 'public', $2, $3, $4,
         'h', now(), now(), $5, $6, $7)
       RETURNING id`,
      [
        platformId,
        options.authors[0],
        JSON.stringify(options.authors),
        options.publication ?? null,
        randomUUID(),
        options.deletedAt ?? null,
        options.pinnedAt ?? null,
      ],
    );
    const id = rows[0]?.id;
    assert.ok(id);
    const federation = options.federation === undefined ? 'published' : options.federation;
    if (federation !== null) {
      await schema.pool.query(
        `INSERT INTO article_federation (article_id, state, actor_id, rendered_hash,
           create_activity_id, last_activity_id)
         VALUES ($1, $2, $3, 'r', $4, $4)`,
        [id, federation, options.authors[0], randomUUID()],
      );
    }
    return id;
  }

  /** An activity of `actorId` about story `articleId`, created at `createdAt`; returns its uri. */
  async function insertActivity(
    type: OutboundActivityType,
    actorId: string,
    articleId: string,
    createdAt: string,
  ): Promise<string> {
    const uri = `https://bridge.example/activities/${randomUUID()}`;
    await schema.pool.query(
      `INSERT INTO outbound_activities (uri, type, actor_id, article_id, object_uri, body, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        uri,
        type,
        actorId,
        articleId,
        `https://bridge.example/articles/${articleId}`,
        JSON.stringify({ id: uri, type }),
        createdAt,
      ],
    );
    return uri;
  }

  /** Every page of the outbox of `actorId`, `limit` at a time. */
  async function allPages(actorId: string, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await sut.page(actorId, cursor, limit);
      pages.push(page.items.map((e) => e.uri));
      cursor = page.next;
      assert.ok(pages.length < 20, 'the cursor moves on');
    } while (cursor !== null);
    return pages;
  }

  it("lists an actor's Creates and Announces of live stories, newest first, and counts them", async () => {
    const author = await insertActor('author');
    const other = await insertActor('author');
    const publication = await insertActor('publication');
    const s1 = await insertStory({ authors: [author], publication });
    const s2 = await insertStory({ authors: [author] });
    const s3 = await insertStory({ authors: [author] });
    const gone = await insertStory({ authors: [author], federation: 'deleted' });
    const deleting = await insertStory({ authors: [author], deletedAt: '2026-11-22T00:00:00Z' });
    const c1 = await insertActivity('Create', author, s1, '2026-11-20T10:00:00Z');
    const c3 = await insertActivity('Create', author, s3, '2026-11-20T12:00:00Z');
    const c2 = await insertActivity('Create', author, s2, '2026-11-20T11:00:00Z');
    await insertActivity('Update', author, s1, '2026-11-21T10:00:00Z');
    await insertActivity('Create', author, gone, '2026-11-21T11:00:00Z');
    await insertActivity('Delete', author, gone, '2026-11-21T12:00:00Z');
    await insertActivity('Create', author, deleting, '2026-11-21T13:00:00Z');
    await insertActivity('Create', other, await insertStory({ authors: [other] }), '2026-11-23Z');
    const boost = await insertActivity('Announce', publication, s1, '2026-11-20T10:00:01Z');

    const page = await sut.page(author, null, 10);
    assert.deepEqual(
      page.items.map((e) => [e.uri, e.type, e.article.id]),
      [
        [c3, 'Create', s3],
        [c2, 'Create', s2],
        [c1, 'Create', s1],
      ],
    );
    assert.equal(page.next, null);
    assert.deepEqual(page.items[0]?.body, { id: c3, type: 'Create' });
    assert.equal(page.items[0].createdAt.toISOString(), '2026-11-20T12:00:00.000Z');
    assert.equal(await sut.count(author), 3);

    assert.deepEqual(
      (await sut.page(publication, null, 10)).items.map((e) => [e.uri, e.type, e.article.id]),
      [[boost, 'Announce', s1]],
    );
    assert.equal(await sut.count(publication), 1);
    assert.equal(await sut.count(randomUUID()), 0);
  });

  it('pages by cursor across equal and microsecond-apart timestamps, skipping nothing', async () => {
    const author = await insertActor('author');
    const story = (): Promise<string> => insertStory({ authors: [author] });
    const tie = '2026-11-20T10:00:00.123456Z';
    const oldest = await insertActivity('Create', author, await story(), '2026-11-19T00:00:00Z');
    const ties: string[] = [];
    for (let i = 0; i < 4; i++) {
      ties.push(await insertActivity('Create', author, await story(), tie));
    }
    // Apart by less than a millisecond, which a JavaScript Date cannot tell apart.
    const plus1 = await insertActivity(
      'Create',
      author,
      await story(),
      '2026-11-20T10:00:00.123457Z',
    );
    const plus2 = await insertActivity(
      'Create',
      author,
      await story(),
      '2026-11-20T10:00:00.123458Z',
    );
    const { rows } = await schema.pool.query<{ uri: string }>(
      `SELECT uri FROM outbound_activities WHERE uri = ANY($1) ORDER BY id DESC`,
      [ties],
    );
    const tiesById = rows.map((r) => r.uri);

    const pages = await allPages(author, 2);
    assert.deepEqual(pages, [
      [plus2, plus1],
      [tiesById[0], tiesById[1]],
      [tiesById[2], tiesById[3]],
      [oldest],
    ]);
    assert.equal(await sut.count(author), 7);

    const first = await sut.page(author, null, 2);
    for (const unreadable of ['garbage', Buffer.from('["x","y"]').toString('base64url')]) {
      assert.deepEqual(
        (await sut.page(author, unreadable, 2)).items.map((e) => e.uri),
        first.items.map((e) => e.uri),
        'an unreadable cursor starts from the newest',
      );
    }
  });

  it('features pinned live stories of an author, co-author or publication, newest pin first', async () => {
    const ada = await insertActor('author');
    const grace = await insertActor('author');
    const other = await insertActor('author');
    const engines = await insertActor('publication');
    const early = await insertStory({
      authors: [ada],
      publication: engines,
      pinnedAt: '2026-11-20T10:00:00Z',
    });
    const late = await insertStory({ authors: [grace, ada], pinnedAt: '2026-11-22T10:00:00Z' });
    await insertStory({ authors: [ada], federation: 'deleted', pinnedAt: '2026-11-23T10:00:00Z' });
    await insertStory({
      authors: [ada],
      deletedAt: '2026-11-24Z',
      pinnedAt: '2026-11-24T10:00:00Z',
    });
    await insertStory({ authors: [ada], federation: null, pinnedAt: '2026-11-25T10:00:00Z' });
    await insertStory({ authors: [ada] });
    await insertStory({ authors: [other], pinnedAt: '2026-11-26T10:00:00Z' });

    const ids = async (actorId: string, limit = 20): Promise<string[]> =>
      (await sut.featured(actorId, limit)).map((a) => a.id);
    assert.deepEqual(await ids(ada), [late, early]);
    assert.deepEqual(await ids(grace), [late]);
    assert.deepEqual(await ids(engines), [early]);
    assert.deepEqual(await ids(ada, 1), [late]);
    assert.equal(await sut.featuredCount(ada), 2);
    assert.equal(await sut.featuredCount(engines), 1);
    const [first] = await sut.featured(ada, 1);
    assert.equal(first?.pinnedAt?.toISOString(), '2026-11-22T10:00:00.000Z');
    assert.deepEqual(first.authorIds, [grace, ada]);
  });

  it('pins and unpins by platform id; refuses unknown and deleted stories', async () => {
    const ada = await insertActor('author');
    const id = await insertStory({ authors: [ada] });
    const story = await articles.findById(id);
    assert.ok(story);
    assert.equal(story.pinnedAt, null);

    const pinned = await articles.setPinned(story.platformId, true);
    assert.ok(pinned.ok);
    assert.ok(pinned.article.pinnedAt instanceof Date);
    assert.deepEqual(await sut.featured(ada, 20).then((a) => a.map((x) => x.id)), [id]);

    const again = await articles.setPinned(story.platformId, true);
    assert.ok(again.ok);
    assert.equal(again.article.pinnedAt?.getTime(), pinned.article.pinnedAt.getTime());

    const unpinned = await articles.setPinned(story.platformId, false);
    assert.ok(unpinned.ok);
    assert.equal(unpinned.article.pinnedAt, null);
    assert.deepEqual(await sut.featured(ada, 20), []);

    assert.deepEqual(await articles.setPinned('no-such-story', true), {
      ok: false,
      reason: 'not_found',
    });
    const deletedId = await insertStory({ authors: [ada], deletedAt: '2026-11-24Z' });
    const deleted = await articles.findById(deletedId);
    assert.ok(deleted);
    for (const pin of [true, false]) {
      assert.deepEqual(await articles.setPinned(deleted.platformId, pin), {
        ok: false,
        reason: 'deleted',
      });
    }
  });
});
