import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/database.js';
import { WebSubTestHub } from '../support/websub-hub/websub-hub.js';
import { REPO_ROOT, sleep } from './support/app-process.js';
import { type Bridge, startBridge } from './support/bridge.js';

// --- a feed server whose answers each test sets -----------------------------------------------

/** What the feed server answers on a path. */
type Reply =
  | { status?: number; headers?: Record<string, string>; body?: string }
  /** Accept the request and never answer. */
  | { hang: true }
  /** 200 with `bytes` of body, streamed; with `declare`, announced by Content-Length. */
  | { stream: number; declare: boolean };

/** One request the feed server received. */
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

const RSS_TYPE = { 'content-type': 'application/rss+xml; charset=utf-8' };
const ATOM_TYPE = { 'content-type': 'application/atom+xml; charset=utf-8' };

/** A node:http server on 127.0.0.1 serving whatever each path is set to, logging every request. */
class FeedServer {
  readonly requests: Received[] = [];
  readonly origin: string;
  private readonly routes = new Map<string, (req: IncomingMessage) => Reply>();

  private constructor(private readonly server: Server) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<FeedServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const feeds = new FeedServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      feeds.handle(req, res);
    });
    return feeds;
  }

  /** Serves `reply` (or what `route` returns per request) on `path` from now on. */
  serve(path: string, reply: Reply | ((req: IncomingMessage) => Reply)): string {
    this.routes.set(path, typeof reply === 'function' ? reply : () => reply);
    return this.url(path);
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** The requests received on `path`. */
  hits(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    this.requests.push({ path, headers: req.headers });
    res.on('error', () => undefined);
    const route = this.routes.get(path);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
      return;
    }
    const reply = route(req);
    if ('hang' in reply) return;
    if ('stream' in reply) {
      const total = reply.stream;
      res.writeHead(200, {
        ...RSS_TYPE,
        ...(reply.declare ? { 'content-length': String(total) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      let stopped = false;
      res.once('close', () => {
        stopped = true;
      });
      const pump = (): void => {
        while (!stopped && sent < total) {
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          if (!res.write(part)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!stopped) res.end();
      };
      pump();
      return;
    }
    res.writeHead(reply.status ?? 200, { ...RSS_TYPE, ...reply.headers }).end(reply.body ?? '');
  }
}

// --- feed documents ---------------------------------------------------------------------------

function fixture(name: string): string {
  return readFileSync(join(REPO_ROOT, 'test/fixtures/feeds', name), 'utf8');
}

interface GeneratedItem {
  readonly guid: string;
  readonly title: string;
  readonly date: Date;
  readonly html?: string;
  readonly categories?: readonly string[];
}

/** An RSS 2.0 document; `channelExtra` is inserted into `<channel>` as written. */
function rss(title: string, items: readonly GeneratedItem[], channelExtra = ''): string {
  const entries = items.map(
    (i) => `
    <item>
      <title>${i.title}</title>
      <link>https://stories.example/${i.guid}</link>
      <guid isPermaLink="false">${i.guid}</guid>
      <pubDate>${i.date.toUTCString()}</pubDate>
      ${(i.categories ?? []).map((c) => `<category>${c}</category>`).join('')}
      <description><![CDATA[${i.html ?? `<p>Story ${i.guid}.</p>`}]]></description>
    </item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${title}</title>
    <link>https://stories.example/</link>
    <description>Generated for the feeds e2e tests.</description>
    ${channelExtra}${entries.join('')}
  </channel>
</rss>`;
}

/** Old dates, before any subscription these tests make. */
const OLD = [
  new Date('2024-01-01T10:00:00Z'),
  new Date('2024-02-01T10:00:00Z'),
  new Date('2024-03-01T10:00:00Z'),
];

// --- what the API and the database answer -----------------------------------------------------

interface FeedView {
  id: string;
  url: string;
  registeredUrl: string;
  owner: { kind: string; platformId: string; handle: string };
  status: string;
  disabledReason: string | null;
  title: string | null;
  intervalSeconds: number;
  backfill: number;
  nextPollAt: string;
  lastPolledAt: string | null;
  lastSuccessAt: string | null;
  lastStatus: number | null;
  consecutiveFailures: number;
  lastError: string | null;
  items: number;
  websub: { state: string; hub: string | null; topic: string | null };
  createdAt: string;
}

interface PollSummary {
  result: string;
  error?: string;
  created: number;
  updated: number;
  recorded: number;
  skipped: number;
}

interface ApiError {
  error: string;
  message: string;
  id?: string;
  problems?: { pointer: string; message: string }[];
}

interface ArticleRow {
  platform_id: string;
  title: string;
  content_html: string;
  excerpt: string | null;
  visibility: string;
  tags: string[];
  canonical_url: string;
  language: string | null;
  author: string;
  author_name: string;
  authors: string;
}

const PUBLICATION = 'pub-feeds-e2e';
const AUTHOR = 'author-feeds-e2e';

describe('feed ingestion, end to end', () => {
  let bridge: Bridge;
  let server: FeedServer;

  before(async () => {
    [bridge, server] = await Promise.all([startBridge(), FeedServer.start()]);
    // The worker's tick polls every due feed within 5 s, and a new feed is due at once. Feeds
    // these tests poll by hand (every path but /scheduled/…) must not also be polled by the tick:
    // they are registered with their first poll a day away.
    await bridge.sql(`
      CREATE FUNCTION e2e_hold_feed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.url NOT LIKE '%/scheduled/%' THEN NEW.next_poll_at := now() + interval '1 day'; END IF;
        RETURN NEW;
      END $$`);
    await bridge.sql(
      `CREATE TRIGGER e2e_hold_feed BEFORE INSERT ON feeds FOR EACH ROW EXECUTE FUNCTION e2e_hold_feed()`,
    );
    const pub = await bridge.api('PUT', `/api/v1/publications/${PUBLICATION}`, {
      slug: 'feeds-e2e',
      name: 'Feeds E2E',
    });
    assert.equal(pub.status, 201, await pub.text());
    const author = await bridge.api('PUT', `/api/v1/authors/${AUTHOR}`, {
      username: 'feed-author',
      displayName: 'Feed Author',
    });
    assert.equal(author.status, 201, await author.text());
  });

  after(async () => {
    await server.close();
    await bridge.dispose();
  });

  const createFeed = async (body: Record<string, unknown>): Promise<FeedView> => {
    const res = await bridge.api('POST', '/api/v1/feeds', body, ['ingest']);
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as FeedView;
  };

  const poll = async (id: string): Promise<{ poll: PollSummary; feed: FeedView }> => {
    const res = await bridge.api('POST', `/api/v1/feeds/${id}/poll`, undefined, ['ingest']);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { poll: PollSummary; feed: FeedView };
  };

  const getFeed = async (id: string): Promise<FeedView> => {
    const res = await bridge.api('GET', `/api/v1/feeds/${id}`, undefined, ['ingest']);
    assert.equal(res.status, 200);
    return (await res.json()) as FeedView;
  };

  /** Stories of a feed (through the items it recorded), by platform id. */
  const articlesOf = async (feedId: string): Promise<Map<string, ArticleRow>> => {
    const rows = await bridge.sql<ArticleRow>(
      `SELECT a.platform_id, a.title, a.content_html, a.excerpt, a.visibility, a.tags,
              a.canonical_url, a.language, p.handle AS author, p.name AS author_name,
              a.author_ids::text AS authors
         FROM feed_items fi
         JOIN articles a ON a.platform_id = fi.article_platform_id
         JOIN actors p ON p.id = a.primary_author_id
        WHERE fi.feed_id = $1`,
      [feedId],
    );
    return new Map(rows.map((r) => [r.platform_id, r]));
  };

  /** The feed's story changes, oldest first, as [platform id, change]. */
  const changesOf = async (feedId: string): Promise<[string, string][]> => {
    const rows = await bridge.sql<{ platform_id: string; change: string }>(
      `SELECT a.platform_id, c.change FROM article_changes c
         JOIN articles a ON a.id = c.article_id
         JOIN feed_items fi ON fi.article_platform_id = a.platform_id
        WHERE fi.feed_id = $1 ORDER BY c.id`,
      [feedId],
    );
    return rows.map((r) => [r.platform_id, r.change]);
  };

  /** The ingest log lines of a feed, as [source, outcome, article platform id]. */
  const logOf = async (feedId: string): Promise<[string, string, string][]> => {
    const rows = await bridge.sql<{ source: string; outcome: string; article_platform_id: string }>(
      `SELECT source, outcome, article_platform_id FROM ingest_log WHERE origin = $1 ORDER BY id`,
      [`feed:${feedId}`],
    );
    return rows.map((r) => [r.source, r.outcome, r.article_platform_id]);
  };

  const scoped = (feedId: string, key: string): string => `feed:${feedId}:${key}`;

  it('RSS 2.0: stores the stories; an unchanged re-poll does nothing; a one-word edit is one update', async () => {
    const path = '/manual/rss2.xml';
    const body = fixture('rss2.xml');
    const url = server.serve(path, { body });
    const feed = await createFeed({ url, publicationId: PUBLICATION, backfill: 10 });
    assert.equal(feed.status, 'active');
    assert.equal(feed.backfill, 10);

    const first = await poll(feed.id);
    // Three items with a guid or link; the fourth has neither.
    assert.deepEqual(first.poll, {
      feedId: feed.id,
      result: 'fetched',
      created: 3,
      updated: 0,
      recorded: 0,
      skipped: 1,
    });
    assert.equal(first.feed.title, 'Field Notes from the Estuary');
    assert.equal(first.feed.lastStatus, 200);
    assert.equal(first.feed.items, 3);

    const stories = await articlesOf(feed.id);
    assert.deepEqual([...stories.keys()].sort(), [
      scoped(feed.id, 'notes-estuary-0041'),
      scoped(feed.id, 'notes-estuary-0042'),
      'https://notes.example.org/2024/01/notebook-scan/',
    ]);
    const tide = stories.get(scoped(feed.id, 'notes-estuary-0042'));
    assert.ok(tide);
    assert.equal(tide.title, 'Tide pools & the long wait');
    assert.deepEqual(tide.tags, ['Fieldwork', 'Tide Pools']);
    // utm_* and the fragment dropped.
    assert.equal(tide.canonical_url, 'https://notes.example.org/2024/03/tide-pools/');
    assert.equal(tide.visibility, 'public');
    assert.equal(tide.language, 'en-US');
    assert.equal(tide.author, 'mara_quist');
    assert.equal(tide.author_name, 'Mara Quist');
    // Relative URLs made absolute against the item link.
    assert.match(
      tide.content_html,
      /src="https:\/\/notes\.example\.org\/2024\/03\/tide-pools\/images\/north-shelf\.jpg"/,
    );
    assert.match(tide.content_html, /href="https:\/\/notes\.example\.org\/data\/2024-03\.csv"/);
    const birds = stories.get(scoped(feed.id, 'notes-estuary-0041'));
    assert.ok(birds);
    assert.equal(birds.title, 'Winter birds, a tally');
    assert.deepEqual(birds.tags, ['Birds']);
    assert.equal(birds.canonical_url, 'https://notes.example.org/2024/02/winter-birds/');
    // No author named: the feed's "editors" author.
    assert.equal(birds.author, 'feeds-e2e-editors');
    const scan = stories.get('https://notes.example.org/2024/01/notebook-scan/');
    assert.equal(scan?.title, 'Untitled');
    assert.deepEqual(scan.tags, []);

    const created = await changesOf(feed.id);
    assert.deepEqual(created.map(([, change]) => change).sort(), ['create', 'create', 'create']);
    const log = await logOf(feed.id);
    assert.deepEqual(
      log.map(([source, outcome]) => [source, outcome]),
      [
        ['feed', 'applied'],
        ['feed', 'applied'],
        ['feed', 'applied'],
      ],
    );

    // The same document again (200, no validators): nothing new.
    const second = await poll(feed.id);
    assert.equal(second.poll.result, 'fetched');
    assert.deepEqual(
      [second.poll.created, second.poll.updated, second.poll.recorded, second.poll.skipped],
      [0, 0, 0, 1],
    );
    assert.deepEqual(await changesOf(feed.id), created);
    assert.equal((await logOf(feed.id)).length, 3);
    assert.equal(server.hits(path).length, 2);
    assert.equal(server.hits(path)[1]?.headers['if-none-match'], undefined);

    // One word of one item changes: exactly one update, of that story.
    const edited = body.replace(
      'Brent geese arrived late again.',
      'Brent geese arrived early again.',
    );
    assert.notEqual(edited, body);
    server.serve(path, { body: edited });
    const third = await poll(feed.id);
    assert.deepEqual(
      [third.poll.result, third.poll.created, third.poll.updated, third.poll.recorded],
      ['fetched', 0, 1, 0],
    );
    assert.deepEqual(await changesOf(feed.id), [
      ...created,
      [scoped(feed.id, 'notes-estuary-0041'), 'update'],
    ]);
    const updated = (await articlesOf(feed.id)).get(scoped(feed.id, 'notes-estuary-0041'));
    assert.match(updated?.content_html ?? '', /arrived early again/);
    assert.equal(
      (await articlesOf(feed.id)).get(scoped(feed.id, 'notes-estuary-0042'))?.title,
      tide.title,
    );
  });

  it('Atom 1.0: stores the entries with their authors, tags, links and content', async () => {
    // The fixture's hub is a real host; WebSub is exercised against a local hub further down.
    const body = fixture('atom.xml').replace(/\s*<link rel="hub"[^>]*\/>/, '');
    const url = server.serve('/manual/atom.xml', { headers: ATOM_TYPE, body });
    const feed = await createFeed({ url, publicationId: PUBLICATION, backfill: 10 });
    const { poll: result, feed: after } = await poll(feed.id);
    assert.deepEqual(
      [result.result, result.created, result.recorded, result.skipped],
      ['fetched', 3, 0, 0],
    );
    assert.equal(after.title, 'Compiler Weather');
    assert.deepEqual(after.websub, { state: 'none', hub: null, topic: null });

    const stories = await articlesOf(feed.id);
    const fog = stories.get(scoped(feed.id, 'tag:weather.example.net,2024:/posts/incremental-fog'));
    assert.ok(fog, `stored: ${[...stories.keys()].join(', ')}`);
    assert.equal(fog.title, 'Incremental builds & the fog of caching');
    assert.equal(fog.canonical_url, 'https://weather.example.net/posts/incremental-fog');
    assert.deepEqual(fog.tags, ['build-systems', 'Caching']);
    assert.equal(
      fog.excerpt,
      'Why a warm cache can still give you a cold start, and what to measure first.',
    );
    assert.match(fog.content_html, /src="https:\/\/weather\.example\.net\/img\/fog-chart\.png"/);
    assert.match(fog.content_html, /href="https:\/\/weather\.example\.net\/data\/fog\.json"/);
    assert.doesNotMatch(fog.content_html, /px\.gif/);
    assert.equal(fog.author, 'ines_okafor');
    assert.equal((JSON.parse(fog.authors) as string[]).length, 2);
    const wetter = stories.get(
      scoped(feed.id, 'tag:weather.example.net,2024:/posts/linker-wetter'),
    );
    assert.equal(wetter?.title, 'Linker-Wetter: heiter bis <wolkig>');
    assert.equal(wetter.language, 'de');
    // Entries without an author of their own inherit the feed's.
    assert.equal(wetter.author_name, 'The Compiler Weather desk');
    const short = stories.get('https://weather.example.net/posts/short-forecast');
    assert.equal(short?.canonical_url, 'https://weather.example.net/posts/short-forecast');
    const handles = await bridge.sql<{ handle: string }>(
      `SELECT au.handle FROM publication_members m
         JOIN actors pub ON pub.id = m.publication_id JOIN actors au ON au.id = m.author_id
        WHERE pub.platform_id = $1 AND au.handle IN ('ines_okafor', 'tomas_reyes')
        ORDER BY au.handle`,
      [PUBLICATION],
    );
    assert.deepEqual(
      handles.map((h) => h.handle),
      ['ines_okafor', 'tomas_reyes'],
    );
  });

  it('Medium: content:encoded, dc:creator authors with collision-safe handles, members-only previews', async () => {
    const janes = ['Jane Doe', 'Jane Doé']
      .map(
        (name, n) => `
        <item>
            <title><![CDATA[Notes by ${name}]]></title>
            <link>https://medium.com/the-quiet-stack/notes-${n}-ab12cd3${n}?source=rss----abc123---4</link>
            <guid isPermaLink="false">https://medium.com/p/ab12cd3${n}</guid>
            <category><![CDATA[notes]]></category>
            <dc:creator><![CDATA[${name}]]></dc:creator>
            <pubDate>Mon, 19 Feb 2024 0${n}:00:00 GMT</pubDate>
            <content:encoded><![CDATA[<p>Written by ${name}.</p>]]></content:encoded>
        </item>`,
      )
      .join('');
    const body = fixture('medium.xml')
      .replace(/\s*<atom:link href="[^"]*" rel="hub"\/>/, '')
      .replace('</channel>', `${janes}\n    </channel>`);
    assert.doesNotMatch(body, /rel="hub"/);
    const url = server.serve('/manual/medium.xml', { body });
    const feed = await createFeed({ url, publicationId: PUBLICATION, backfill: 10 });
    const { poll: result } = await poll(feed.id);
    assert.deepEqual([result.result, result.created, result.skipped], ['fetched', 5, 0]);

    const stories = await articlesOf(feed.id);
    assert.deepEqual([...stories.keys()].sort(), [
      'https://medium.com/p/5e1d0c7b9a42',
      'https://medium.com/p/7a3f9b2e6d10',
      'https://medium.com/p/ab12cd30',
      'https://medium.com/p/ab12cd31',
      'https://medium.com/p/c0ffee12ab34',
    ]);
    const quieter = stories.get('https://medium.com/p/5e1d0c7b9a42');
    assert.ok(quieter);
    assert.equal(quieter.title, 'Why our on-call rotation got quieter');
    assert.equal(
      quieter.canonical_url,
      'https://medium.com/the-quiet-stack/why-our-on-call-rotation-got-quieter-5e1d0c7b9a42',
    );
    assert.deepEqual(quieter.tags, ['devops', 'on-call', 'sre', 'incident-management']);
    assert.equal(quieter.visibility, 'public');
    // content:encoded, not a description; without the view-counter pixel.
    assert.match(quieter.content_html, /<h3>Fewer pages, same coverage<\/h3>/);
    assert.doesNotMatch(quieter.content_html, /_\/stat/);
    assert.equal(quieter.author, 'ana_lindqvist');
    assert.equal(quieter.author_name, 'Ana Lindqvist');

    const preview = stories.get('https://medium.com/p/c0ffee12ab34');
    assert.equal(preview?.visibility, 'members');
    assert.equal(preview.author, 'jonah_bright');
    assert.equal(
      preview.canonical_url,
      'https://medium.com/the-quiet-stack/capacity-planning-with-three-numbers-c0ffee12ab34',
    );
    const runbooks = stories.get('https://medium.com/p/7a3f9b2e6d10');
    assert.equal(runbooks?.author, 'ana_lindqvist');
    assert.equal(runbooks.authors, quieter.authors, 'one actor for one name');
    assert.doesNotMatch(runbooks.content_html, /_\/stat/);

    // Two different names that normalize to the same handle are two people.
    assert.deepEqual(
      [
        stories.get('https://medium.com/p/ab12cd30'),
        stories.get('https://medium.com/p/ab12cd31'),
      ].map((s) => [s?.author, s?.author_name]),
      [
        ['jane_doe', 'Jane Doe'],
        ['jane_doe_2', 'Jane Doé'],
      ],
    );
  });

  it('first poll: only items newer than the subscription federate, plus the newest `backfill`', async () => {
    const start = async (name: string, backfill: number) => {
      const path = `/manual/baseline-${name}.xml`;
      const url = server.serve(path, { status: 503 });
      const feed = await createFeed({ url, publicationId: PUBLICATION, backfill });
      // Newer than the subscription (RSS dates have whole seconds).
      const fresh = new Date(Math.floor((Date.parse(feed.createdAt) + 1000) / 1000) * 1000);
      const items: GeneratedItem[] = [
        { guid: `${name}-old-1`, title: 'Old one', date: OLD[0] as Date },
        { guid: `${name}-old-2`, title: 'Old two', date: OLD[1] as Date },
        { guid: `${name}-old-3`, title: 'Old three', date: OLD[2] as Date },
        { guid: `${name}-new-1`, title: 'New one', date: fresh },
      ];
      server.serve(path, { body: rss(`Baseline ${name}`, items) });
      return { feed, path, items };
    };

    const plain = await start('b0', 0);
    const first = await poll(plain.feed.id);
    assert.deepEqual(
      [first.poll.created, first.poll.recorded, first.poll.skipped, first.feed.items],
      [1, 3, 0, 4],
    );
    assert.deepEqual(
      [...(await articlesOf(plain.feed.id)).keys()],
      [scoped(plain.feed.id, 'b0-new-1')],
    );

    // A new item appears: it federates; an old, recorded item that is edited stays recorded only.
    server.serve(plain.path, {
      body: rss('Baseline b0', [
        { guid: 'b0-new-2', title: 'New two', date: new Date() },
        ...plain.items.map((i) => (i.guid === 'b0-old-1' ? { ...i, title: 'Old one, edited' } : i)),
      ]),
    });
    const second = await poll(plain.feed.id);
    assert.deepEqual([second.poll.created, second.poll.updated, second.poll.recorded], [1, 0, 1]);
    assert.deepEqual([...(await articlesOf(plain.feed.id)).keys()].sort(), [
      scoped(plain.feed.id, 'b0-new-1'),
      scoped(plain.feed.id, 'b0-new-2'),
    ]);

    const backfilled = await start('b2', 2);
    const polled = await poll(backfilled.feed.id);
    assert.deepEqual([polled.poll.created, polled.poll.recorded], [3, 1]);
    assert.deepEqual([...(await articlesOf(backfilled.feed.id)).keys()].sort(), [
      scoped(backfilled.feed.id, 'b2-new-1'),
      scoped(backfilled.feed.id, 'b2-old-2'),
      scoped(backfilled.feed.id, 'b2-old-3'),
    ]);
  });

  it('conditional GET: validators go back; a 304 is not-modified and changes nothing', async () => {
    const path = '/manual/conditional.xml';
    const etag = '"v1-abc"';
    const lastModified = 'Wed, 01 May 2024 10:00:00 GMT';
    const body = rss('Conditional', [{ guid: 'cond-1', title: 'Cond one', date: OLD[2] as Date }]);
    const url = server.serve(path, (req) =>
      req.headers['if-none-match'] === etag
        ? { status: 304 }
        : { headers: { etag, 'last-modified': lastModified }, body },
    );
    const feed = await createFeed({ url, publicationId: PUBLICATION, backfill: 1 });
    const first = await poll(feed.id);
    assert.deepEqual([first.poll.result, first.poll.created], ['fetched', 1]);
    assert.equal(server.hits(path)[0]?.headers['if-none-match'], undefined);
    const changes = await changesOf(feed.id);
    const log = await logOf(feed.id);

    for (let n = 1; n <= 2; n++) {
      const again = await poll(feed.id);
      assert.deepEqual(again.poll, {
        feedId: feed.id,
        result: 'not-modified',
        created: 0,
        updated: 0,
        recorded: 0,
        skipped: 0,
      });
      assert.equal(again.feed.status, 'active');
      assert.equal(again.feed.lastStatus, 304);
      // The 304 carries no validators of its own: the stored ones are kept and sent again.
      const sent = server.hits(path)[n]?.headers;
      assert.equal(sent?.['if-none-match'], etag);
      assert.equal(sent['if-modified-since'], lastModified);
    }
    assert.equal(server.hits(path).length, 3);
    assert.deepEqual(await changesOf(feed.id), changes);
    assert.deepEqual(await logOf(feed.id), log);
  });

  it('301 moves the feed, 302 does not; 410 disables it until polled by hand', async () => {
    const item = [{ guid: 'moved-1', title: 'Moved', date: OLD[2] as Date }];
    const oldUrl = server.serve('/manual/moved-from.xml', {
      status: 301,
      headers: { location: '/manual/moved-to.xml' },
    });
    const newUrl = server.serve('/manual/moved-to.xml', { body: rss('Moved', item) });
    const moved = await createFeed({ url: oldUrl, publicationId: PUBLICATION });
    const afterMove = await poll(moved.id);
    assert.equal(afterMove.poll.result, 'fetched');
    assert.deepEqual([afterMove.feed.url, afterMove.feed.registeredUrl], [newUrl, oldUrl]);
    await poll(moved.id);
    assert.equal(server.hits('/manual/moved-from.xml').length, 1, 'the new URL is polled');
    assert.equal(server.hits('/manual/moved-to.xml').length, 2);

    const tempUrl = server.serve('/manual/temp-from.xml', {
      status: 302,
      headers: { location: '/manual/temp-to.xml' },
    });
    server.serve('/manual/temp-to.xml', { body: rss('Temp', item) });
    const temp = await createFeed({ url: tempUrl, publicationId: PUBLICATION });
    const afterTemp = await poll(temp.id);
    assert.equal(afterTemp.poll.result, 'fetched');
    assert.equal(afterTemp.feed.url, tempUrl);
    await poll(temp.id);
    assert.equal(server.hits('/manual/temp-from.xml').length, 2, 'the registered URL is kept');

    const gonePath = '/manual/gone.xml';
    const goneUrl = server.serve(gonePath, { status: 410 });
    const gone = await createFeed({ url: goneUrl, publicationId: PUBLICATION });
    const disabled = await poll(gone.id);
    assert.deepEqual(
      [disabled.poll.result, disabled.poll.error, disabled.feed.status, disabled.feed.lastStatus],
      ['disabled', 'HTTP 410', 'disabled', 410],
    );
    assert.match(disabled.feed.disabledReason ?? '', /410/);

    // Due by its time, but disabled: the tick skips it. A feed registered now for the tick is the
    // witness that a tick ran (they are claimed together, the older due first).
    await bridge.sql(`UPDATE feeds SET next_poll_at = now() - interval '1 minute' WHERE id = $1`, [
      gone.id,
    ]);
    const witnessPath = '/scheduled/witness-410.xml';
    const witness = await createFeed({
      url: server.serve(witnessPath, {
        body: rss(
          'Witness',
          item.map((i) => ({ ...i, guid: 'w410' })),
        ),
      }),
      publicationId: PUBLICATION,
    });
    await waitFor(
      async () => (await getFeed(witness.id)).lastPolledAt !== null,
      15_000,
      'a tick to poll the witness feed',
    );
    await sleep(500);
    assert.equal(server.hits(gonePath).length, 1, 'a disabled feed is not polled by the tick');
    assert.equal((await getFeed(gone.id)).status, 'disabled');

    // Polling by hand re-enables it.
    server.serve(gonePath, {
      body: rss(
        'Back',
        item.map((i) => ({ ...i, guid: 'back-1' })),
      ),
    });
    const back = await poll(gone.id);
    assert.deepEqual(
      [back.poll.result, back.feed.status, back.feed.disabledReason, back.feed.lastStatus],
      ['fetched', 'active', null, 200],
    );
  });

  it('5xx: failing with backoff and the error; a success resets it', async () => {
    const path = '/manual/flaky.xml';
    const url = server.serve(path, { status: 500, body: 'upstream broke' });
    const feed = await createFeed({ url, publicationId: PUBLICATION });
    const seen: FeedView[] = [];
    for (let n = 1; n <= 3; n++) {
      const { poll: result, feed: state } = await poll(feed.id);
      assert.deepEqual([result.result, result.error], ['failed', 'HTTP 500']);
      seen.push(state);
    }
    const last = seen[2];
    assert.ok(last);
    assert.equal(last.status, 'failing');
    assert.equal(last.consecutiveFailures, 3);
    assert.equal(last.lastStatus, 500);
    assert.match(last.lastError ?? '', /500/);
    // The minimum interval (300 s) doubled per failure.
    assert.deepEqual(
      seen.map((s) => [s.consecutiveFailures, s.intervalSeconds]),
      [
        [1, 600],
        [2, 1200],
        [3, 2400],
      ],
    );
    const next = seen.map((s) => Date.parse(s.nextPollAt));
    assert.ok((next[0] ?? 0) < (next[1] ?? 0) && (next[1] ?? 0) < (next[2] ?? 0), next.join());
    assert.equal(last.lastSuccessAt, null);

    server.serve(path, {
      body: rss('Flaky', [{ guid: 'flaky-1', title: 'Fine', date: OLD[2] as Date }]),
    });
    const { poll: ok, feed: healed } = await poll(feed.id);
    assert.equal(ok.result, 'fetched');
    assert.deepEqual(
      [healed.status, healed.consecutiveFailures, healed.lastError, healed.lastStatus],
      ['active', 0, null, 200],
    );
    assert.notEqual(healed.lastSuccessAt, null);
    assert.equal(healed.title, 'Flaky');
  });

  it('malformed XML: failing as unreadable, nothing stored', async () => {
    const url = server.serve('/manual/malformed.xml', { body: fixture('malformed.xml') });
    const feed = await createFeed({ url, publicationId: PUBLICATION, backfill: 10 });
    const { poll: result, feed: state } = await poll(feed.id);
    assert.equal(result.result, 'failed');
    assert.match(result.error ?? '', /^unreadable feed: /);
    assert.deepEqual([state.status, state.consecutiveFailures, state.items], ['failing', 1, 0]);
    assert.match(state.lastError ?? '', /unreadable/);
    const stored = await bridge.sql(
      `SELECT 1 FROM articles WHERE canonical_url LIKE 'https://broken.example.com/%'`,
    );
    assert.equal(stored.length, 0);
    assert.deepEqual(await logOf(feed.id), []);
  });

  it('a 20 MiB body: failing as too large, and the service stays up', async () => {
    const mib20 = 20 * 1024 * 1024;
    for (const declare of [false, true]) {
      const url = server.serve(`/manual/huge-${String(declare)}.xml`, { stream: mib20, declare });
      const feed = await createFeed({ url, publicationId: PUBLICATION });
      const { poll: result, feed: state } = await poll(feed.id);
      assert.equal(result.result, 'failed');
      assert.match(result.error ?? '', /^too-large: response body over 5242880 bytes/);
      assert.deepEqual([state.status, state.consecutiveFailures], ['failing', 1]);
      assert.match(state.lastError ?? '', /too-large/);
    }
    assert.ok(bridge.app.isRunning());
    const live = await fetch(`${bridge.origin}/health/live`);
    assert.equal(live.status, 200);
  });

  it(
    'a server that never answers: failing with a timeout after the 20 s total',
    { timeout: 60_000 },
    async () => {
      const path = '/manual/silent.xml';
      const url = server.serve(path, { hang: true });
      const feed = await createFeed({ url, publicationId: PUBLICATION });
      const started = Date.now();
      const { poll: result, feed: state } = await poll(feed.id);
      const took = Date.now() - started;
      assert.ok(took >= 19_000 && took < 25_000, `took ${took} ms`);
      assert.equal(result.result, 'failed');
      assert.match(result.error ?? '', /^timeout: /);
      assert.deepEqual([state.status, state.consecutiveFailures], ['failing', 1]);
      assert.match(state.lastError ?? '', /timeout/);
      // Only the poll asked for: the tick did not poll the feed meanwhile as well.
      assert.equal(server.hits(path).length, 1);
    },
  );

  describe('WebSub', () => {
    let hub: WebSubTestHub;
    before(async () => {
      hub = await WebSubTestHub.start();
    });
    after(async () => {
      await hub.stop();
    });

    it('subscribes at the advertised hub, takes signed pushes and drops forged ones', async () => {
      const path = '/manual/websub.atom';
      const topic = server.url(path);
      const entry = (slug: string, title: string): string => `
  <entry>
    <id>tag:websub.example.net,2024:/posts/${slug}</id>
    <title>${title}</title>
    <link rel="alternate" href="https://websub.example.net/posts/${slug}" />
    <published>${new Date().toISOString()}</published>
    <updated>${new Date().toISOString()}</updated>
    <content type="html">&lt;p&gt;${title}&lt;/p&gt;</content>
  </entry>`;
      const base = fixture('atom.xml')
        .replaceAll('weather.example.net', 'websub.example.net')
        .replace('href="https://hub.example/"', `href="${hub.url}"`)
        .replace('href="https://websub.example.net/feed.atom"', `href="${topic}"`);
      const withEntry = (extra: string): string => base.replace('</feed>', `${extra}\n</feed>`);
      server.serve(path, { headers: ATOM_TYPE, body: base });
      const feed = await createFeed({ url: topic, publicationId: PUBLICATION });

      const { poll: result } = await poll(feed.id);
      assert.deepEqual([result.result, result.created, result.recorded], ['fetched', 0, 3]);
      const subscription = await hub.waitForVerified(topic, 5_000);
      const callback = subscription.callback;
      assert.match(callback, new RegExp(`^${bridge.origin}/websub/[A-Za-z0-9_-]{20,}$`));
      assert.ok(subscription.secret !== null && subscription.secret.length > 0);
      const request = hub.requests.find((r) => r.kind === 'subscription-request');
      assert.equal(
        request?.kind === 'subscription-request' && request.params['hub.mode'],
        'subscribe',
      );
      assert.deepEqual((await getFeed(feed.id)).websub, { state: 'active', hub: hub.url, topic });

      const pushed = withEntry(entry('pushed', 'Pushed by the hub'));
      assert.deepEqual(
        await hub.publish(topic, pushed, { contentType: 'application/atom+xml' }),
        [202],
      );
      const stories = await articlesOf(feed.id);
      const story = stories.get(scoped(feed.id, 'tag:websub.example.net,2024:/posts/pushed'));
      assert.equal(story?.title, 'Pushed by the hub');
      assert.deepEqual(await logOf(feed.id), [
        ['websub', 'applied', scoped(feed.id, 'tag:websub.example.net,2024:/posts/pushed')],
      ]);

      // Forged: a body changed after signing, and a push without a signature.
      const forged = withEntry(entry('forged', 'Forged'));
      assert.deepEqual(await hub.publish(topic, forged, { tamper: true }), [202]);
      const unsigned = withEntry(entry('unsigned', 'Unsigned'));
      assert.deepEqual(await hub.publish(topic, unsigned, { omitSignature: true }), [202]);
      assert.deepEqual([...(await articlesOf(feed.id)).keys()], [...stories.keys()]);
      assert.equal((await logOf(feed.id)).length, 1);
      const forgedRows = await bridge.sql(`SELECT 1 FROM articles WHERE platform_id IN ($1, $2)`, [
        scoped(feed.id, 'tag:websub.example.net,2024:/posts/forged'),
        scoped(feed.id, 'tag:websub.example.net,2024:/posts/unsigned'),
      ]);
      assert.equal(forgedRows.length, 0);
    });
  });

  it('the worker tick polls a registered feed without the poll endpoint', async () => {
    const path = '/scheduled/tick.xml';
    const url = server.serve(path, {
      body: rss('Ticked', [
        { guid: 'tick-1', title: 'Ticked one', date: OLD[1] as Date, categories: ['Tick'] },
        { guid: 'tick-2', title: 'Ticked two', date: OLD[2] as Date },
      ]),
    });
    const feed = await createFeed({ url, authorId: AUTHOR, backfill: 5 });
    await waitFor(
      async () => (await articlesOf(feed.id)).size === 2,
      15_000,
      'the scheduled poll to store both stories',
    );
    const stories = await articlesOf(feed.id);
    const one = stories.get(scoped(feed.id, 'tick-1'));
    assert.equal(one?.title, 'Ticked one');
    assert.deepEqual(one.tags, ['Tick']);
    // An author's feed: every story is that author's.
    assert.equal(one.author, 'feed-author');
    const state = await getFeed(feed.id);
    assert.deepEqual([state.status, state.lastStatus, state.items], ['active', 200, 2]);
    assert.ok(Date.parse(state.nextPollAt) > Date.now() + 60_000, state.nextPollAt);
    assert.equal(server.hits(path).length, 1);
    assert.deepEqual(
      (await logOf(feed.id)).map(([source, outcome]) => [source, outcome]),
      [
        ['feed', 'applied'],
        ['feed', 'applied'],
      ],
    );
  });

  describe('API errors', () => {
    const url = (name: string): string => server.url(`/manual/api-${name}.xml`);
    const post = async (body: unknown, scopes: ('ingest' | 'comments:read')[] = ['ingest']) => {
      const res = await bridge.api('POST', '/api/v1/feeds', body, scopes);
      return { status: res.status, body: (await res.json()) as ApiError };
    };

    it('unknown owner → 422 unknown_owner', async () => {
      for (const owner of [{ publicationId: 'no-such-pub' }, { authorId: 'no-such-author' }]) {
        const res = await post({ url: url('unknown-owner'), ...owner });
        assert.equal(res.status, 422);
        assert.equal(res.body.error, 'unknown_owner');
      }
    });

    it('both or neither owner → 422 owner_required', async () => {
      for (const owner of [{ publicationId: PUBLICATION, authorId: AUTHOR }, {}]) {
        const res = await post({ url: url('owner'), ...owner });
        assert.deepEqual([res.status, res.body.error], [422, 'owner_required']);
      }
    });

    it('min above max → 422 invalid_bounds', async () => {
      const res = await post({
        url: url('bounds'),
        publicationId: PUBLICATION,
        minIntervalSeconds: 3600,
        maxIntervalSeconds: 600,
      });
      assert.deepEqual([res.status, res.body.error], [422, 'invalid_bounds']);
    });

    it('a URL already registered → 409 feed_exists with its id', async () => {
      const first = await createFeed({ url: url('dup'), publicationId: PUBLICATION });
      // The fragment is not part of the feed's URL.
      for (const again of [url('dup'), `${url('dup')}#latest`]) {
        const res = await post({ url: again, authorId: AUTHOR });
        assert.deepEqual([res.status, res.body.error, res.body.id], [409, 'feed_exists', first.id]);
      }
    });

    it('a bad body → 400 with a pointer per problem', async () => {
      const res = await post({
        url: 'ftp://files.example/feed.xml',
        publicationId: PUBLICATION,
        minIntervalSeconds: 5,
        backfill: -1,
        colour: 'blue',
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
      const pointers = new Set(res.body.problems?.map((p) => p.pointer));
      for (const pointer of ['/url', '/minIntervalSeconds', '/backfill', '/colour']) {
        assert.ok(pointers.has(pointer), `${pointer} in ${[...pointers].join(', ')}`);
      }
      const missing = await post({ publicationId: PUBLICATION });
      assert.equal(missing.status, 400);
      assert.deepEqual(
        missing.body.problems?.map((p) => p.pointer),
        ['/url'],
      );
    });

    it('GET, poll and DELETE of an unknown feed → 404; DELETE removes a feed', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const [method, path] of [
        ['GET', `/api/v1/feeds/${unknown}`],
        ['POST', `/api/v1/feeds/${unknown}/poll`],
        ['DELETE', `/api/v1/feeds/${unknown}`],
        ['GET', '/api/v1/feeds/not-a-uuid'],
      ] as const) {
        const res = await bridge.api(method, path, undefined, ['ingest']);
        assert.equal(res.status, 404, `${method} ${path}`);
      }
      const feed = await createFeed({ url: url('delete-me'), publicationId: PUBLICATION });
      const del = await bridge.api('DELETE', `/api/v1/feeds/${feed.id}`, undefined, ['ingest']);
      assert.equal(del.status, 204);
      const gone = await bridge.api('GET', `/api/v1/feeds/${feed.id}`, undefined, ['ingest']);
      assert.equal(gone.status, 404);
      assert.equal(((await gone.json()) as ApiError).error, 'not_found');
    });

    it('needs the ingest scope', async () => {
      const res = await post({ url: url('scope'), publicationId: PUBLICATION }, ['comments:read']);
      assert.equal(res.status, 403);
      const list = await bridge.api('GET', '/api/v1/feeds', undefined, ['comments:read']);
      assert.equal(list.status, 403);
      const anonymous = await fetch(`${bridge.origin}/api/v1/feeds`);
      assert.equal(anonymous.status, 401);
      const rows = await bridge.sql(`SELECT 1 FROM feeds WHERE url = $1`, [url('scope')]);
      assert.equal(rows.length, 0);
    });
  });
});
