import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor } from '../actors/actor.js';
import { attributionView } from './attribution.js';

const ada: Actor = {
  id: '00000000-0000-4000-8000-00000000000a',
  kind: 'author',
  platformId: 'u-ada',
  handle: 'ada',
  platformHandle: 'Ada',
  name: 'Ada Lovelace',
  summaryHtml: '',
  avatarUrl: null,
  headerUrl: null,
  profileUrl: 'https://medium.example/@ada',
  profileLinks: [],
  alsoKnownAs: [],
  indexable: true,
  customDomain: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
};

describe('attributionView', () => {
  it("names the author by the handle WebFinger answers on PUBLIC_URL's host", () => {
    const sut = attributionView(new URL('https://bridge.example'), ada, ['medium.example']);
    assert.deepEqual(sut, {
      platformId: 'u-ada',
      handle: '@ada@bridge.example',
      metaTag: { name: 'fediverse:creator', content: '@ada@bridge.example' },
      html: '<meta name="fediverse:creator" content="@ada@bridge.example">',
      attributionDomains: ['medium.example'],
      actorId: 'https://bridge.example/actors/00000000-0000-4000-8000-00000000000a',
    });
  });

  it('keeps a non-default port in the handle, as WebFinger does', () => {
    const sut = attributionView(new URL('http://127.0.0.1:3000'), ada, ['medium.example']);
    assert.equal(sut.handle, '@ada@127.0.0.1:3000');
  });

  it('escapes the attribute value in the HTML', () => {
    const odd = { ...ada, handle: `a"b<c>&'d` };
    const sut = attributionView(new URL('https://bridge.example'), odd, ['medium.example']);
    assert.equal(sut.metaTag.content, `@a"b<c>&'d@bridge.example`);
    assert.equal(
      sut.html,
      '<meta name="fediverse:creator" content="@a&quot;b&lt;c&gt;&amp;&#39;d@bridge.example">',
    );
  });

  it('warns when no domain may credit the author', () => {
    const sut = attributionView(new URL('https://bridge.example'), ada, []);
    assert.deepEqual(sut.attributionDomains, []);
    assert.match(sut.warning ?? '', /byline.*profileUrl on the platform domain/s);
  });
});
