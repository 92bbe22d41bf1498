/**
 * The demo's stand-in for a blog: an RSS 2.0 feed on 127.0.0.1 (node:http), empty until a story
 * is published into it.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A story as the feed lists it. */
export interface FeedStory {
  /** Last path segment of the story's page, `/stories/{slug}`. */
  readonly slug: string;
  readonly title: string;
  /** `dc:creator`. */
  readonly author: string;
  /** The description: a plain-text summary. */
  readonly summary: string;
  /** `content:encoded`: the whole story as HTML. */
  readonly contentHtml: string;
  readonly categories: readonly string[];
  readonly publishedAt: Date;
}

const FEED_PATH = '/feed.xml';

/** An RSS 2.0 feed served on a free port of 127.0.0.1. */
export class DemoFeed {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** How many times the feed was fetched. */
  fetches = 0;
  private readonly stories: FeedStory[] = [];

  private constructor(
    private readonly server: Server,
    readonly title: string,
  ) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Listens on a free port; the feed has no items yet. */
  static async start(title: string): Promise<DemoFeed> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    const feed = new DemoFeed(server, title);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      feed.handle(req, res);
    });
    return feed;
  }

  /** The feed's URL. */
  get url(): string {
    return `${this.origin}${FEED_PATH}`;
  }

  /** The URL of a story's page (its `link` and `guid`). */
  storyUrl(story: FeedStory): string {
    return `${this.origin}/stories/${story.slug}`;
  }

  /** Adds a story at the top of the feed. */
  publish(story: FeedStory): void {
    this.stories.unshift(story);
  }

  /** The feed document as served now. */
  document(): string {
    const items = this.stories.map(
      (s) => `
    <item>
      <title>${escapeXml(s.title)}</title>
      <link>${escapeXml(this.storyUrl(s))}</link>
      <guid isPermaLink="true">${escapeXml(this.storyUrl(s))}</guid>
      <dc:creator>${escapeXml(s.author)}</dc:creator>
      <pubDate>${s.publishedAt.toUTCString()}</pubDate>
${s.categories.map((c) => `      <category>${escapeXml(c)}</category>\n`).join('')}      <description>${escapeXml(s.summary)}</description>
      <content:encoded>${cdata(s.contentHtml)}</content:encoded>
    </item>`,
    );
    return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>${escapeXml(this.title)}</title>
    <link>${this.origin}/</link>
    <description>A local feed for the fediverse-bridge demo.</description>
    <language>en</language>${items.join('')}
  </channel>
</rss>
`;
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
    res.on('error', () => undefined);
    const path = new URL(req.url ?? '/', this.origin).pathname;
    if (req.method === 'GET' && path === FEED_PATH) {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(this.document());
      return;
    }
    const story = this.stories.find((s) => path === `/stories/${s.slug}`);
    if (req.method === 'GET' && story !== undefined) {
      // The platform's page of the story, which Mastodon's link card would be built from.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>${escapeXml(story.title)}</title>` +
          `<meta name="description" content="${escapeXml(story.summary)}">` +
          `<h1>${escapeXml(story.title)}</h1>${story.contentHtml}`,
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}
