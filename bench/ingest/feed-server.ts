// One node:http server serving `count` distinct small RSS 2.0 documents at /feeds/<i>.xml, each
// with 5 items a minute apart (an hour old), answering with an ETag so a conditional repeat gets
// 304, optionally after a delay (a slow origin). Every request is logged with its monotonic time
// (when the answer goes out), so polls can be counted from outside.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { now } from './stats.js';

export interface FeedRequest {
  readonly feed: number;
  readonly status: number;
  readonly at: bigint;
}

export interface FeedServer {
  readonly port: number;
  readonly log: FeedRequest[];
  url(feed: number): string;
  close(): Promise<void>;
}

const ITEMS = 5;

function rss(feed: number, base: string, newest: number): string {
  const items = Array.from({ length: ITEMS }, (_, j) => {
    const at = new Date(newest - j * 60_000).toUTCString();
    const link = `https://feeds.bench.example/${feed}/story-${j}`;
    return `<item>
  <title>Feed ${feed}, story ${j}</title>
  <link>${link}</link>
  <guid isPermaLink="true">${link}</guid>
  <pubDate>${at}</pubDate>
  <dc:creator>Writer ${feed % 50}</dc:creator>
  <category>bench</category>
  <description>Story ${j} of feed ${feed}: a short summary.</description>
  <content:encoded><![CDATA[<p>Story ${j} of feed ${feed}.</p><p>Some text, some more text.</p>]]></content:encoded>
</item>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Bench feed ${feed}</title>
  <link>${base}/feeds/${feed}</link>
  <description>Benchmark feed ${feed}</description>
  <language>en</language>
${items}
</channel>
</rss>
`;
}

export async function startFeedServer(count: number, delayMs = 0): Promise<FeedServer> {
  const log: FeedRequest[] = [];
  const newest = Date.now() - 3_600_000;
  let docs: Buffer[] = [];
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const match = /^\/feeds\/(\d+)\.xml$/.exec(req.url ?? '');
    const feed = match === null ? -1 : Number(match[1]);
    const doc = docs[feed];
    if (doc === undefined) {
      log.push({ feed, status: 404, at: now() });
      res.writeHead(404).end();
      return;
    }
    const etag = `"bench-${feed}-v1"`;
    if (req.headers['if-none-match'] === etag) {
      log.push({ feed, status: 304, at: now() });
      res.writeHead(304, { etag }).end();
      return;
    }
    log.push({ feed, status: 200, at: now() });
    res.writeHead(200, {
      'content-type': 'application/rss+xml; charset=utf-8',
      'content-length': doc.length,
      etag,
    });
    res.end(doc);
  };
  const server: Server = createServer((req, res) => {
    if (delayMs > 0) setTimeout(answer, delayMs, req, res);
    else answer(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  docs = Array.from({ length: count }, (_, i) => Buffer.from(rss(i, base, newest)));
  return {
    port,
    log,
    url: (feed) => `${base}/feeds/${feed}.xml`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
