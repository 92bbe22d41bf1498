import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  FeedParseError,
  isMembersOnlyPreview,
  MAX_FEED_ITEMS,
  normalizeLink,
  parseFeed,
  removeTrackingPixels,
  type FeedItem,
  type ParsedFeed,
} from './index.js';

/** The repository root: the nearest directory up with a package.json (works from src and dist). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the spec');
    dir = parent;
  }
  return dir;
}

function fixture(name: string): string {
  return readFileSync(join(repoRoot(), 'test/fixtures/feeds', name), 'utf8');
}

function item(feed: ParsedFeed, index: number): FeedItem {
  const found = feed.items[index];
  assert.ok(found, `item ${index} exists`);
  return found;
}

const date = (iso: string) => new Date(iso);

/** A minimal RSS 2.0 document around `items`. */
function rss(items: string, channel = ''): string {
  return (
    '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"' +
    ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">' +
    `<channel><title>T</title><link>https://site.example/</link>${channel}${items}</channel></rss>`
  );
}

describe('parseFeed: RSS 2.0 (rss2.xml)', () => {
  const load = () =>
    parseFeed(fixture('rss2.xml'), { baseUrl: 'https://notes.example.org/feed.xml' });

  it('reads the channel', async () => {
    const feed = await load();
    assert.equal(feed.title, 'Field Notes from the Estuary');
    assert.equal(feed.link, 'https://notes.example.org/');
    assert.equal(feed.language, 'en-US');
    assert.equal(feed.selfUrl, 'https://notes.example.org/feed.xml');
    assert.equal(feed.hubUrl, null);
    assert.equal(feed.truncated, false);
    assert.equal(feed.items.length, 4);
  });

  it('keys a non-permalink guid as written and normalizes the link', async () => {
    const first = item(await load(), 0);
    assert.equal(first.key, 'notes-estuary-0042');
    assert.equal(first.guid, 'notes-estuary-0042');
    assert.equal(first.link, 'https://notes.example.org/2024/03/tide-pools/');
  });

  it('decodes and strips the title, dedupes categories, reads the author name and date', async () => {
    const first = item(await load(), 0);
    assert.equal(first.title, 'Tide pools & the long wait');
    assert.deepEqual(first.categories, ['Fieldwork', 'Tide Pools']);
    assert.deepEqual(first.authors, ['Mara Quist']);
    assert.deepEqual(first.publishedAt, date('2024-03-16T14:30:00Z'));
    assert.deepEqual(first.updatedAt, date('2024-03-16T14:30:00Z'));
    assert.equal(first.language, 'en-US');
    assert.equal(first.visibility, 'public');
  });

  it('takes the description as content, with relative URLs made absolute against the item link', async () => {
    const first = item(await load(), 0);
    assert.equal(first.excerpt, null);
    assert.match(
      first.contentHtml,
      /^<p>The spring low tide finally uncovered the north shelf, and the anemones were back\.<\/p>/,
    );
    assert.ok(
      first.contentHtml.includes(
        '<img src="https://notes.example.org/2024/03/tide-pools/images/north-shelf.jpg" width="600" height="400" alt="Anemones on the north shelf at low tide">',
      ),
    );
    assert.ok(first.contentHtml.includes('<a href="https://notes.example.org/data/2024-03.csv">'));
    assert.ok(first.contentHtml.includes('<a href="https://notes.example.org/methods/">'));
    assert.deepEqual(first.coverImage, {
      url: 'https://notes.example.org/2024/03/tide-pools/images/north-shelf.jpg',
      alt: 'Anemones on the north shelf at low tide',
    });
  });

  it('keeps plain-text descriptions as they are', async () => {
    const second = item(await load(), 1);
    assert.equal(second.key, 'notes-estuary-0041');
    assert.equal(
      second.contentHtml,
      'Forty-one species this winter, down from forty-six. Brent geese arrived late again.',
    );
    assert.deepEqual(second.authors, []);
    assert.deepEqual(second.categories, ['Birds']);
    assert.deepEqual(second.publishedAt, date('2024-02-18T09:05:00Z'));
    assert.equal(second.coverImage, null);
  });

  it('falls back to the link as key, "Untitled" for a blank title, null for a bad date', async () => {
    const third = item(await load(), 2);
    assert.equal(third.guid, null);
    assert.equal(third.key, 'https://notes.example.org/2024/01/notebook-scan/');
    assert.equal(third.title, 'Untitled');
    assert.equal(third.publishedAt, null);
    assert.equal(third.updatedAt, null);
  });

  it('gives a null key to an item with neither guid nor link', async () => {
    const fourth = item(await load(), 3);
    assert.equal(fourth.key, null);
    assert.equal(fourth.link, null);
    assert.equal(fourth.title, 'A note without an address');
  });
});

describe('parseFeed: Atom 1.0 (atom.xml)', () => {
  const load = () => parseFeed(fixture('atom.xml'));

  it('reads the feed, hub and self links, and picks the alternate link as the site', async () => {
    const feed = await load();
    assert.equal(feed.title, 'Compiler Weather');
    // rss-parser alone would take the first <link>, the hub.
    assert.equal(feed.link, 'https://weather.example.net/');
    assert.equal(feed.language, 'en');
    assert.equal(feed.hubUrl, 'https://hub.example/');
    assert.equal(feed.selfUrl, 'https://weather.example.net/feed.atom');
    assert.equal(feed.items.length, 3);
  });

  it('reads an entry: id, alternate link, html title, authors, categories, dates', async () => {
    const entry = item(await load(), 0);
    assert.equal(entry.key, 'tag:weather.example.net,2024:/posts/incremental-fog');
    assert.equal(entry.guid, 'tag:weather.example.net,2024:/posts/incremental-fog');
    assert.equal(entry.link, 'https://weather.example.net/posts/incremental-fog');
    assert.equal(entry.title, 'Incremental builds & the fog of caching');
    assert.deepEqual(entry.authors, ['Ines Okafor', 'Tomás Reyes']);
    assert.deepEqual(entry.categories, ['build-systems', 'Caching']);
    assert.deepEqual(entry.publishedAt, date('2024-04-01T08:00:00Z'));
    assert.deepEqual(entry.updatedAt, date('2024-04-02T14:45:30Z'));
    assert.equal(entry.language, 'en');
  });

  it('uses html content, the summary as excerpt, resolves relative URLs and drops the style pixel', async () => {
    const entry = item(await load(), 0);
    assert.equal(
      entry.excerpt,
      'Why a warm cache can still give you a cold start, and what to measure first.',
    );
    assert.equal(
      entry.contentHtml,
      '<p>Most cache misses we chased this quarter were not misses at all.</p>\n' +
        '<p><img src="https://weather.example.net/img/fog-chart.png" width="720" height="360" alt="Hit rate by hour"></p>\n' +
        '<p>The full numbers are in <a href="https://weather.example.net/data/fog.json">the dataset</a>.</p>',
    );
    assert.deepEqual(entry.coverImage, {
      url: 'https://weather.example.net/img/fog-chart.png',
      alt: 'Hit rate by hour',
    });
  });

  it('treats text constructs as text, inherits feed authors, dates by updated, reads xml:lang', async () => {
    const entry = item(await load(), 1);
    assert.equal(entry.title, 'Linker-Wetter: heiter bis <wolkig>');
    assert.equal(
      entry.contentHtml,
      '<p>Der Linker war heute schnell.</p><p>Morgen: Regen &amp; Symbole.</p>',
    );
    assert.equal(entry.excerpt, null);
    assert.deepEqual(entry.authors, ['The Compiler Weather desk']);
    assert.deepEqual(entry.publishedAt, date('2024-03-20T12:00:00Z'));
    assert.deepEqual(entry.updatedAt, date('2024-03-20T12:00:00Z'));
    assert.equal(entry.language, 'de');
  });

  it('survives a bad published date (rss-parser alone rejects the feed), uses summary as content', async () => {
    const entry = item(await load(), 2);
    assert.equal(entry.guid, 'https://weather.example.net/posts/short-forecast?utm_source=feed');
    assert.equal(entry.key, 'https://weather.example.net/posts/short-forecast');
    assert.equal(entry.link, 'https://weather.example.net/posts/short-forecast');
    assert.equal(entry.publishedAt, null);
    assert.deepEqual(entry.updatedAt, date('2024-03-01T07:00:00Z'));
    assert.equal(entry.contentHtml, '<p>Sunny with a chance of flaky tests.</p>');
    assert.equal(entry.excerpt, null);
    assert.deepEqual(entry.coverImage, {
      url: 'https://weather.example.net/img/short.jpg',
      alt: '',
    });
  });
});

describe('parseFeed: Medium (medium.xml)', () => {
  const xml = fixture('medium.xml');
  const load = (text = xml) => parseFeed(text);

  /** The raw content:encoded of the item with `postId`, as in the fixture. */
  function rawContent(postId: string): string {
    const match = new RegExp(
      `<guid isPermaLink="false">https://medium\\.com/p/${postId}</guid>[\\s\\S]*?<content:encoded><!\\[CDATA\\[([\\s\\S]*?)\\]\\]></content:encoded>`,
    ).exec(xml);
    assert.ok(match?.[1] !== undefined);
    return match[1];
  }

  it('reads the channel: site link without ?source, superfeedr hub, self', async () => {
    const feed = await load();
    assert.equal(feed.title, 'The Quiet Stack - Medium');
    assert.equal(feed.link, 'https://medium.com/the-quiet-stack');
    assert.equal(feed.hubUrl, 'http://medium.superfeedr.com');
    assert.equal(feed.selfUrl, 'https://medium.com/feed/the-quiet-stack');
    assert.equal(feed.language, null);
    assert.equal(feed.items.length, 3);
  });

  it('keys items by guid and strips ?source= from links', async () => {
    const feed = await load();
    assert.deepEqual(
      feed.items.map((i) => i.key),
      [
        'https://medium.com/p/5e1d0c7b9a42',
        'https://medium.com/p/c0ffee12ab34',
        'https://medium.com/p/7a3f9b2e6d10',
      ],
    );
    assert.deepEqual(
      feed.items.map((i) => i.link),
      [
        'https://medium.com/the-quiet-stack/why-our-on-call-rotation-got-quieter-5e1d0c7b9a42',
        'https://medium.com/the-quiet-stack/capacity-planning-with-three-numbers-c0ffee12ab34',
        'https://medium.com/the-quiet-stack/runbooks-retros-and-writing-things-down-7a3f9b2e6d10',
      ],
    );
  });

  it('reads dc:creator, categories (deduped case-insensitively), pubDate and atom:updated', async () => {
    const first = item(await load(), 0);
    assert.equal(first.title, 'Why our on-call rotation got quieter');
    assert.deepEqual(first.authors, ['Ana Lindqvist']);
    assert.deepEqual(first.categories, ['devops', 'on-call', 'sre', 'incident-management']);
    assert.deepEqual(first.publishedAt, date('2024-03-12T09:15:42Z'));
    assert.deepEqual(first.updatedAt, date('2024-03-13T08:01:27.511Z'));
    assert.equal(first.excerpt, null);
  });

  it('removes the tracking pixel and keeps the rest of content:encoded byte-for-byte', async () => {
    const feed = await load();
    for (const [index, postId] of [
      [0, '5e1d0c7b9a42'],
      [2, '7a3f9b2e6d10'],
    ] as const) {
      const pixel = `<img src="https://medium.com/_/stat?event=post.clientViewed&amp;referrerSource=full_rss&amp;postId=${postId}" width="1" height="1" alt="">`;
      const raw = rawContent(postId);
      assert.ok(raw.includes(pixel));
      assert.equal(item(feed, index).contentHtml, raw.replace(pixel, ''));
      assert.ok(!item(feed, index).contentHtml.includes('/_/stat'));
    }
  });

  it('takes the first real image as cover, never the pixel', async () => {
    const feed = await load();
    assert.deepEqual(item(feed, 0).coverImage, {
      url: 'https://cdn-images-1.medium.com/max/1024/1*UXVpZXRQYWdlcg.jpeg',
      alt: 'A silent pager lying on a desk',
    });
    assert.equal(item(feed, 2).coverImage, null);
  });

  it('marks the "Continue reading on Medium »" item as members-only, and only it', async () => {
    const feed = await load();
    assert.deepEqual(
      feed.items.map((i) => i.visibility),
      ['public', 'members', 'public'],
    );
    const preview = item(feed, 1);
    assert.equal(preview.title, 'Capacity planning with three numbers');
    assert.deepEqual(preview.authors, ['Jonah Bright']);
    assert.deepEqual(preview.coverImage, {
      url: 'https://cdn-images-1.medium.com/max/1200/1*Q2FwYWNpdHlQbGFu.png',
      alt: '',
    });
  });

  it('decodes the title text', async () => {
    assert.equal(item(await load(), 2).title, 'Runbooks, retros & the art of writing things down');
  });

  it('hashes content stably, and changes the hash of exactly the item whose content changed', async () => {
    const hashes = (feed: ParsedFeed) => feed.items.map((i) => i.contentHash);
    const once = hashes(await load());
    const twice = hashes(await load());
    assert.deepEqual(once, twice);
    for (const hash of once) assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(new Set(once).size, 3);

    const edited = xml.replace('is a rumour with formatting', 'is a rumour with formattinG');
    assert.notEqual(edited, xml);
    const after = hashes(await load(edited));
    assert.equal(after[0], once[0]);
    assert.equal(after[1], once[1]);
    assert.notEqual(after[2], once[2]);
  });

  it('does not change the hash for fields a reader does not see', async () => {
    const before = item(await load(), 0).contentHash;
    const edited = xml
      .replace('2024-03-13T08:01:27.511Z', '2024-03-14T00:00:00.000Z')
      .replace(
        'quieter-5e1d0c7b9a42?source=rss----abc123---4<',
        'quieter-5e1d0c7b9a42?source=rss----abc123---5<',
      );
    assert.equal(item(await load(edited), 0).contentHash, before);
  });

  it('changes the hash when the title, categories or visibility change', async () => {
    const [first, , third] = (await load()).items;
    const retitled = await load(
      xml.replace(
        'Why our on-call rotation got quieter]]>',
        'Why our on-call rotation got quiet]]>',
      ),
    );
    assert.notEqual(item(retitled, 0).contentHash, first?.contentHash);
    const recategorized = await load(xml.replace('<![CDATA[writing]]>', '<![CDATA[editing]]>'));
    assert.notEqual(item(recategorized, 2).contentHash, third?.contentHash);
    const [, preview] = (await load()).items;
    const unlocked = await load(xml.replace('Continue reading on Medium »', 'Read the rest'));
    assert.equal(item(unlocked, 1).visibility, 'public');
    assert.notEqual(item(unlocked, 1).contentHash, preview?.contentHash);
  });
});

describe('parseFeed: errors', () => {
  it('rejects malformed XML with FeedParseError', async () => {
    await assert.rejects(parseFeed(fixture('malformed.xml')), (error: unknown) => {
      assert.ok(error instanceof FeedParseError);
      assert.equal(error.reason, 'malformed-xml');
      assert.equal(error.name, 'FeedParseError');
      assert.match(error.message, /^Malformed XML: /);
      return true;
    });
  });

  it('rejects empty input and non-XML text as malformed', async () => {
    for (const text of ['', '   ', 'just some text', '{"items":[]}']) {
      await assert.rejects(parseFeed(text), { name: 'FeedParseError', reason: 'malformed-xml' });
    }
  });

  it('rejects XML that is neither RSS nor Atom', async () => {
    for (const text of [
      '<html><head><title>Hi</title></head><body><p>Not a feed</p></body></html>',
      '<?xml version="1.0"?><opml version="2.0"><body/></opml>',
      '<rss version="2.0"></rss>',
    ]) {
      await assert.rejects(parseFeed(text), { name: 'FeedParseError', reason: 'not-a-feed' });
    }
  });

  it('reads an Atom feed whose links lack attributes (rss-parser alone throws)', async () => {
    const feed = await parseFeed(
      '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><link>https://a.example/</link>' +
        '<entry><id>1</id><title>One</title><link>https://a.example/1</link>' +
        '<link rel="alternate" href="https://a.example/one"/></entry></feed>',
    );
    assert.equal(feed.link, null);
    assert.equal(item(feed, 0).link, 'https://a.example/one');
  });
});

describe('parseFeed: details', () => {
  it('reads Atom xhtml title, summary and content without their wrappers', async () => {
    const xhtml = (body: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>`;
    const feed = await parseFeed(
      '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id>' +
        `<title type="xhtml">${xhtml('Hello <b>world</b>')}</title>` +
        `<summary type="xhtml">${xhtml('<p>Sum</p>')}</summary>` +
        `<content type="xhtml">${xhtml('<p><a href="rel">Body</a></p>')}</content>` +
        '<link href="https://a.example/p/"/></entry></feed>',
    );
    const entry = item(feed, 0);
    assert.equal(entry.title, 'Hello world');
    assert.equal(entry.excerpt, 'Sum');
    assert.equal(entry.contentHtml, '<p><a href="https://a.example/p/rel">Body</a></p>');
  });

  it('reads at most 500 items and says so', async () => {
    const items = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `<item><guid>id-${i}</guid><title>${i}</title></item>`,
      ).join('');
    const full = await parseFeed(rss(items(MAX_FEED_ITEMS)));
    assert.equal(full.items.length, 500);
    assert.equal(full.truncated, false);
    const over = await parseFeed(rss(items(MAX_FEED_ITEMS + 1)));
    assert.equal(over.items.length, 500);
    assert.equal(over.truncated, true);
    assert.equal(over.items.at(-1)?.key, 'id-499');
  });

  it('uses the description as a plain-text excerpt when content:encoded is present', async () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const feed = await parseFeed(
      rss(
        `<item><guid>a</guid><description>&lt;p&gt;Short &amp;amp; &lt;b&gt;sweet&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Second.&lt;/p&gt;</description>` +
          `<content:encoded><![CDATA[<p>Full text</p>]]></content:encoded></item>` +
          `<item><guid>b</guid><description>${words}</description>` +
          `<content:encoded><![CDATA[<p>Full text</p>]]></content:encoded></item>`,
      ),
    );
    const short = item(feed, 0);
    assert.equal(short.contentHtml, '<p>Full text</p>');
    assert.equal(short.excerpt, 'Short & sweet Second.');
    const long = item(feed, 1).excerpt;
    assert.ok(long !== null);
    assert.ok(Array.from(long).length <= 500, `${Array.from(long).length} characters`);
    assert.ok(long.endsWith('…'));
    const kept = long.slice(0, -1);
    assert.ok(words.startsWith(`${kept} `), 'cut at a word boundary');
    assert.ok(kept.length > 400);
  });

  it('resolves relative item links against baseUrl, else the channel link', async () => {
    const xml = rss('<item><title>r</title><link>/posts/r?utm_source=rss</link></item>');
    assert.equal(
      item(await parseFeed(xml, { baseUrl: 'https://feeds.example.com/blog/rss' }), 0).link,
      'https://feeds.example.com/posts/r',
    );
    assert.equal(item(await parseFeed(xml), 0).link, 'https://site.example/posts/r');
  });

  it('keeps only http(s) links', async () => {
    const feed = await parseFeed(
      '<rss version="2.0"><channel><title>T</title><link>/relative-site</link>' +
        '<item><guid>g</guid><link>javascript:alert(1)</link></item>' +
        '<item><title>no base</title><link>/posts/r</link></item></channel></rss>',
    );
    assert.equal(feed.link, null);
    assert.equal(item(feed, 0).link, null);
    assert.equal(item(feed, 0).key, 'g');
    assert.equal(item(feed, 1).link, null);
    assert.equal(item(feed, 1).key, null);
  });

  it('makes href/src/srcset absolute against the item link, keeping absolute ones as written', async () => {
    const content =
      '<p><a href="/search?a=1&amp;b=2">s</a> <a href="#notes">n</a> <a href="mailto:x@example.com">m</a>' +
      ' <a href="https://other.example/x?utm_source=keep">o</a></p>' +
      '<img src="//cdn.example/i.png" srcset="small.png 1x, /large.png 2x" alt="">' +
      "<img src='https://res.example/w_100,h_100/a.jpg' srcset='https://res.example/w_100,h_100/a.jpg 1x, https://res.example/w_200,h_200/a.jpg 2x'>";
    const feed = await parseFeed(
      rss(
        `<item><link>https://site.example/posts/p</link><content:encoded><![CDATA[${content}]]></content:encoded></item>`,
      ),
    );
    assert.equal(
      item(feed, 0).contentHtml,
      '<p><a href="https://site.example/search?a=1&amp;b=2">s</a> <a href="https://site.example/posts/p#notes">n</a> <a href="mailto:x@example.com">m</a>' +
        ' <a href="https://other.example/x?utm_source=keep">o</a></p>' +
        '<img src="https://cdn.example/i.png" srcset="https://site.example/posts/small.png 1x, https://site.example/large.png 2x" alt="">' +
        "<img src='https://res.example/w_100,h_100/a.jpg' srcset='https://res.example/w_100,h_100/a.jpg 1x, https://res.example/w_200,h_200/a.jpg 2x'>",
    );
    assert.deepEqual(item(feed, 0).coverImage, { url: 'https://cdn.example/i.png', alt: '' });
  });

  it('takes a permalink guid as the link when there is no <link>', async () => {
    const feed = await parseFeed(
      rss(
        '<item><guid>https://site.example/p/1?utm_source=feed</guid></item>' +
          '<item><guid isPermaLink="false">https://site.example/p/2</guid></item>' +
          '<item><guid isPermaLink="false"/><link>https://site.example/p/3</link></item>',
      ),
    );
    assert.equal(item(feed, 2).guid, null);
    assert.equal(item(feed, 2).key, 'https://site.example/p/3');
    assert.equal(item(feed, 0).link, 'https://site.example/p/1');
    assert.equal(item(feed, 0).key, 'https://site.example/p/1');
    assert.equal(item(feed, 1).link, null);
    assert.equal(item(feed, 1).key, 'https://site.example/p/2');
  });

  it('finds hub and self in FeedBurner-style atom10:link elements', async () => {
    const feed = await parseFeed(
      rss(
        '',
        '<atom10:link xmlns:atom10="http://www.w3.org/2005/Atom" rel="self" type="application/rss+xml" href="https://feeds.example.com/blog" />' +
          '<atom10:link xmlns:atom10="http://www.w3.org/2005/Atom" rel="hub" href="https://pubsubhubbub.example.com/" />',
      ),
    );
    assert.equal(feed.hubUrl, 'https://pubsubhubbub.example.com/');
    assert.equal(feed.selfUrl, 'https://feeds.example.com/blog');
    assert.equal(feed.link, 'https://site.example/');
  });

  it('prefers media:content, then media:thumbnail, then an image enclosure, to content images', async () => {
    const body =
      '<description>&lt;img src="https://site.example/inline.png" alt="inline"&gt;</description>';
    const feed = await parseFeed(
      rss(
        `<item><guid>1</guid>${body}<media:content url="https://cdn.example/v.mp4" medium="video"/>` +
          '<media:content url="/cover.jpg" medium="image"><media:description>The cover</media:description></media:content></item>' +
          `<item><guid>2</guid>${body}<media:thumbnail url="https://cdn.example/thumb.jpg" width="150"/></item>` +
          `<item><guid>3</guid>${body}<enclosure url="https://cdn.example/audio.mp3" type="audio/mpeg" length="1"/></item>` +
          `<item><guid>4</guid>${body}<enclosure url="https://cdn.example/e.png" type="image/png" length="1"/></item>`,
      ),
    );
    assert.deepEqual(
      feed.items.map((i) => i.coverImage),
      [
        { url: 'https://site.example/cover.jpg', alt: 'The cover' },
        { url: 'https://cdn.example/thumb.jpg', alt: '' },
        { url: 'https://site.example/inline.png', alt: 'inline' },
        { url: 'https://cdn.example/e.png', alt: '' },
      ],
    );
  });

  it('reads several dc:creator and RSS author forms, dropping bare emails', async () => {
    const feed = await parseFeed(
      rss(
        '<item><guid>1</guid><dc:creator> Ada  Lovelace </dc:creator><dc:creator>Ada Lovelace</dc:creator>' +
          '<dc:creator>Charles Babbage</dc:creator><author>ada@example.com (Ada Lovelace)</author></item>' +
          '<item><guid>2</guid><author>editor@example.com</author><author>Grace Hopper &lt;grace@example.com&gt;</author></item>',
      ),
    );
    assert.deepEqual(item(feed, 0).authors, ['Ada Lovelace', 'Charles Babbage']);
    assert.deepEqual(item(feed, 1).authors, ['Grace Hopper']);
  });

  it('never returns an Invalid Date', async () => {
    const feed = await parseFeed(
      rss(
        '<item><guid>1</guid><pubDate>31/02/2024</pubDate></item>' +
          '<item><guid>2</guid><pubDate></pubDate></item>' +
          '<item><guid>3</guid><dc:date>2024-05-06T07:08:09Z</dc:date></item>',
      ),
    );
    assert.equal(item(feed, 0).publishedAt, null);
    assert.equal(item(feed, 1).publishedAt, null);
    assert.deepEqual(item(feed, 2).publishedAt, date('2024-05-06T07:08:09Z'));
    for (const i of feed.items) {
      for (const d of [i.publishedAt, i.updatedAt])
        assert.ok(d === null || !Number.isNaN(d.getTime()));
    }
  });
});

describe('normalizeLink', () => {
  const cases: [string, string][] = [
    [
      'HTTPS://Medium.COM:443/@ana/Why-It-Works-5e1d0c7b9a42?source=rss----abc123---4',
      'https://medium.com/@ana/Why-It-Works-5e1d0c7b9a42',
    ],
    ['http://Example.com:80/a?b=1#section-2', 'http://example.com/a?b=1'],
    ['https://example.com:8443/a', 'https://example.com:8443/a'],
    [
      'https://example.com/a?utm_source=x&id=7&UTM_Medium=y&ref=z&page=2',
      'https://example.com/a?id=7&page=2',
    ],
    [
      'https://example.com/a?sk=1&gi=2&ref_src=3&fbclid=4&gclid=5&mc_cid=6&mc_eid=7&_hsenc=8&_hsmi=9&mkt_tok=10&igshid=11&source=12&utm_content=13',
      'https://example.com/a',
    ],
    ['https://example.com/a?SOURCE=x&Ref=y&FBCLID=z', 'https://example.com/a'],
    ['https://example.com/a?%75tm_source=x&keep=1', 'https://example.com/a?keep=1'],
    ['https://example.com/a?', 'https://example.com/a'],
    ['https://example.com/a?#', 'https://example.com/a'],
    [
      'https://example.com/search?q=a+b&x=%20y&z=%2F&fbclid=1',
      'https://example.com/search?q=a+b&x=%20y&z=%2F',
    ],
    [
      'https://example.com/a?sources=1&reference=2&gid=3',
      'https://example.com/a?sources=1&reference=2&gid=3',
    ],
    ['https://example.com/a?a=1&&b=2', 'https://example.com/a?a=1&b=2'],
    ['https://example.com/a?flag&utm_term', 'https://example.com/a?flag'],
    ['  https://example.com/x  ', 'https://example.com/x'],
    ['https://example.com', 'https://example.com/'],
    ['https://user@Example.com/a#x', 'https://user@example.com/a'],
    ['mailto:Someone@Example.com?utm_source=x', 'mailto:Someone@Example.com?utm_source=x'],
    ['tag:example.com,2024:post-1', 'tag:example.com,2024:post-1'],
    ['  notes-estuary-0042 ', 'notes-estuary-0042'],
    ['/relative/path?utm_source=x#top', '/relative/path?utm_source=x#top'],
    ['https://exa mple.com/', 'https://exa mple.com/'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeLink(input), expected);
    });
  }

  it('is idempotent', () => {
    for (const [input] of cases) {
      const once = normalizeLink(input);
      assert.equal(normalizeLink(once), once);
    }
  });
});

describe('removeTrackingPixels', () => {
  it('keeps a 600×400 image and everything else byte-for-byte', () => {
    const html =
      '<!-- keep me --><p class=x>Intro&nbsp;text &amp; more<br></p>' +
      '<figure><img src=\'https://cdn.example/a.jpg\' width=600 height=400 alt="A > B"></figure>';
    assert.equal(removeTrackingPixels(html), html);
  });

  it('removes 1×1 images by attributes', () => {
    assert.equal(
      removeTrackingPixels(
        '<p>a</p><img src="https://t.example/p.gif" width="1" height="1" alt=""><p>b</p>',
      ),
      '<p>a</p><p>b</p>',
    );
    assert.equal(removeTrackingPixels('<IMG SRC=x.gif WIDTH=0 HEIGHT=0/>z'), 'z');
    assert.equal(removeTrackingPixels('<img src="x.gif" width="1px" height="1">'), '');
  });

  it('removes images sized 1px by inline style', () => {
    assert.equal(
      removeTrackingPixels(
        'a<img src="https://t.example/p.gif" style="width:1px;height:1px;border:0">b',
      ),
      'ab',
    );
    assert.equal(
      removeTrackingPixels(
        'a<img src="p.gif" style="height: 0; width: 1PX !important" width="600">b',
      ),
      'ab',
    );
    assert.equal(removeTrackingPixels('a<img src="p.gif" width="1" style="height:1px">b'), 'ab');
  });

  it("removes Medium's view counter whatever its size", () => {
    assert.equal(
      removeTrackingPixels(
        '<p>end</p><img src="https://medium.com/_/stat?event=post.clientViewed&amp;referrerSource=full_rss&amp;postId=abc" alt="">',
      ),
      '<p>end</p>',
    );
    assert.equal(removeTrackingPixels('<img src="//medium.com/_/stat?event=x">'), '');
  });

  it('keeps images that are small in one dimension only, or sized in other units', () => {
    for (const html of [
      '<img src="rule.png" width="1" height="400">',
      '<img src="rule.png" style="width:1px" height="300">',
      '<img src="a.png" width="1%" height="1%">',
      '<img src="a.png" style="width:1em;height:1em">',
      '<img src="a.png">',
      '<img src="https://example.com/_/stat?x=1" width="100" height="100">',
    ]) {
      assert.equal(removeTrackingPixels(html), html);
    }
  });

  it('leaves comments, raw-text elements and quoted ">" alone', () => {
    const html =
      '<!-- <img width=1 height=1 src=x> --><script>var s = "<img width=1 height=1>";</script>' +
      '<textarea><img width=1 height=1></textarea><a title="a > b <img width=1 height=1>">x</a>';
    assert.equal(removeTrackingPixels(html), html);
    assert.equal(removeTrackingPixels(`${html}<img width=1 height=1 src=p>`), html);
  });
});

describe('isMembersOnlyPreview', () => {
  const positives = [
    '<div class="medium-feed-item"><p class="medium-feed-snippet">A preview&#x2026;</p><p class="medium-feed-link"><a href="https://medium.com/p/abc?source=rss">Continue reading on Medium »</a></p></div>',
    '<p>A preview…</p><p><a href="https://pub.example/x">Continue reading on The Quiet Stack »</a></p>',
    '<p>A preview…</p><p>Continue reading on Medium&nbsp;&raquo;</p>',
    '<p>Snippet… <a href="https://medium.com/p/1">continue   reading\non&nbsp;MEDIUM»</a></p>',
    '<p>A preview…</p><p><a href="https://medium.com/p/1">Continue reading on Medium</a></p>',
    'Plain preview text…\nContinue reading on Medium »',
    '<p>A preview… Continue reading on Better Programming ›</p>',
  ];
  for (const html of positives) {
    it(`detects ${JSON.stringify(html.slice(-60))}`, () => {
      assert.equal(isMembersOnlyPreview(html), true);
    });
  }

  const negatives = [
    '',
    '<p>A complete story.</p><p>With two paragraphs.</p>',
    '<p>Continue reading on page two of the manual before you start.</p><p>Then begin.</p>',
    '<p>When the power comes back you can continue reading on your own.</p>',
    '<p><a href="https://medium.com/p/1">Continue reading on Medium »</a></p><p>And the story goes on here.</p>',
    '<p>We talked about how to continue. Reading on Medium is fine.</p>',
  ];
  for (const html of negatives) {
    it(`does not flag ${JSON.stringify(html.slice(-60))}`, () => {
      assert.equal(isMembersOnlyPreview(html), false);
    });
  }
});
