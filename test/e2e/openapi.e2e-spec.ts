import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Bridge, startBridge } from './support/bridge.js';

// Swagger UI and the document, served by a running service: reachable past the Fedify
// middleware, assets from disk (no CDN), and the same document as the committed openapi.json.
describe('API docs (/docs)', () => {
  let bridge: Bridge;

  before(async () => {
    bridge = await startBridge();
  });

  after(async () => {
    await bridge.dispose();
  });

  it('serves Swagger UI with its assets from the service itself', async () => {
    const page = await fetch(`${bridge.origin}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /<div id="swagger-ui">/);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(scripts.length >= 3, html);
    for (const src of scripts) {
      assert.ok(!/^(https?:)?\/\//.test(src), `${src} is not served by the bridge`);
      const asset = await fetch(new URL(src, page.url));
      assert.equal(asset.status, 200, src);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/, src);
      await asset.arrayBuffer();
    }
    const css = await fetch(`${bridge.origin}/docs/swagger-ui.css`);
    assert.equal(css.status, 200);
    await css.arrayBuffer();
  });

  it('serves the committed openapi.json, with PUBLIC_URL as its server', async () => {
    const res = await fetch(`${bridge.origin}/docs/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const served = (await res.json()) as { servers: { url: string }[] };
    assert.deepEqual(served.servers, [{ url: bridge.origin }]);
    const committed = JSON.parse(
      await readFile(new URL('../../../openapi.json', import.meta.url), 'utf8'),
    ) as { servers: { url: string }[] };
    assert.deepEqual(
      { ...served, servers: [] },
      { ...committed, servers: [] },
      'the running service documents other routes than openapi.json: npm run openapi:write',
    );
  });

  it('still guards the API it documents', async () => {
    const res = await fetch(`${bridge.origin}/api/v1/reports`);
    assert.equal(res.status, 401);
    assert.deepEqual(Object.keys((await res.json()) as object).sort(), ['error', 'message']);
  });
});
