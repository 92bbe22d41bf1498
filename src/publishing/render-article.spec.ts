import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor } from '../actors/actor.js';
import type { Article } from '../articles/article.js';
import { mastodonView } from '../../test/support/mastodon-view.js';
import { matchSnapshot } from '../../test/support/snapshot.js';
import { PUBLIC, renderArticle } from './render-article.js';

const publicUrl = new URL('https://bridge.example');

const actor = (id: string, kind: Actor['kind'], handle: string, name: string): Actor => ({
  id,
  kind,
  platformId: `p-${handle}`,
  handle,
  platformHandle: handle,
  name,
  summaryHtml: '',
  avatarUrl: null,
  headerUrl: null,
  profileUrl: null,
  profileLinks: [],
  alsoKnownAs: [],
  indexable: true,
  customDomain: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
});

const ada = actor('00000000-0000-4000-8000-00000000000a', 'author', 'ada', 'Ada Lovelace');
const grace = actor('00000000-0000-4000-8000-00000000000b', 'author', 'grace', 'Grace Hopper');
const engines = actor('00000000-0000-4000-8000-0000000000e1', 'publication', 'engines', 'Engines');

const FULL_TEXT = 'The engine weaves algebraic patterns just as the Jacquard loom weaves flowers.';

const story = (overrides: Partial<Article> = {}): Article => ({
  id: '00000000-0000-4000-8000-0000000000f1',
  platformId: 'story-1',
  url: 'https://stories.example/@ada/notes-on-the-engine-1',
  title: 'Notes on the Analytical Engine',
  subtitle: 'What the machine can and cannot do',
  contentHtml: `<h2>Weaving</h2><p>${FULL_TEXT}</p><p><a href="/about">About</a> <img src="https://medium.com/_/stat?event=x" width="1" height="1"></p>`,
  excerpt: null,
  language: null,
  tags: [],
  coverImage: null,
  publishedAt: new Date('2026-11-20T10:00:00.123Z'),
  updatedAt: new Date('2026-11-20T10:00:00.123Z'),
  visibility: 'public',
  contentWarning: null,
  commentsEnabled: true,
  authorIds: [ada.id],
  publicationId: null,
  contentHash: 'h',
  deletedAt: null,
  pinnedAt: null,
  createdAt: new Date('2026-11-20T10:00:01Z'),
  modifiedAt: new Date('2026-11-20T10:00:01Z'),
  ...overrides,
});

const cases: {
  name: string;
  article: Article;
  authors: Actor[];
  publication: Actor | null;
}[] = [
  { name: 'plain', article: story(), authors: [ada], publication: null },
  {
    name: 'tags-cover-language',
    article: story({
      tags: ['Computing', 'History'],
      coverImage: { url: 'https://cdn.stories.example/engine.jpg', alt: 'A drawing of the engine' },
      language: 'en',
      updatedAt: new Date('2026-11-21T08:30:00Z'),
    }),
    authors: [ada],
    publication: null,
  },
  {
    name: 'non-english',
    article: story({
      title: 'Über die Analytische Maschine — Teil 1',
      subtitle: 'Was die Maschine kann & was nicht',
      contentHtml: '<p>Die Maschine webt algebraische Muster.</p>',
      language: 'de',
      tags: ['Geschichte'],
    }),
    authors: [ada],
    publication: null,
  },
  {
    name: 'members-only',
    article: story({ visibility: 'members' }),
    authors: [ada],
    publication: null,
  },
  {
    name: 'content-warning',
    article: story({ contentWarning: 'Discusses a fatal illness' }),
    authors: [ada],
    publication: null,
  },
  {
    name: 'co-authored-in-publication',
    article: story({
      authorIds: [ada.id, grace.id],
      publicationId: engines.id,
      tags: ['Compilers'],
    }),
    authors: [ada, grace],
    publication: engines,
  },
  {
    name: 'comments-disabled',
    article: story({ commentsEnabled: false }),
    authors: [ada],
    publication: null,
  },
];

describe('renderArticle', () => {
  for (const c of cases) {
    it(`${c.name}: the Article and what Mastodon shows match their snapshots`, async () => {
      const json = renderArticle({
        article: c.article,
        authors: c.authors,
        publication: c.publication,
        publicUrl,
      });
      await matchSnapshot(`render-article/${c.name}.json`, json);
      await matchSnapshot(
        `render-article/${c.name}.mastodon.txt`,
        `${JSON.stringify(mastodonView(json), null, 2)}\n`,
      );
    });
  }

  it('is pure: equal input, equal JSON', () => {
    const input = { article: story(), authors: [ada], publication: null, publicUrl };
    assert.deepEqual(renderArticle(input), renderArticle(input));
  });

  it('Mastodon shows the bold title, the summary without links, and the canonical URL as card', () => {
    const view = mastodonView(
      renderArticle({ article: story(), authors: [ada], publication: null, publicUrl }),
    );
    assert.equal(
      view.text,
      'Notes on the Analytical Engine\nWhat the machine can and cannot do\nhttps://stories.example/@ada/notes-on-the-engine-1',
    );
    assert.ok(view.html.startsWith('<p><strong>Notes on the Analytical Engine</strong></p>'));
    assert.equal(view.cardUrl, 'https://stories.example/@ada/notes-on-the-engine-1');
  });

  it('members-only: never the full text', () => {
    const json = renderArticle({
      article: story({ visibility: 'members' }),
      authors: [ada],
      publication: null,
      publicUrl,
    });
    assert.ok(!JSON.stringify(json).includes(FULL_TEXT));
    assert.match(String(json.content), /members only/i);
    assert.match(String(json.content), /notes-on-the-engine-1/);
  });

  it('addressing: public → Public in to; unlisted → Public in cc; every followers collection', () => {
    const input = {
      article: story({ authorIds: [ada.id, grace.id], publicationId: engines.id }),
      authors: [ada, grace],
      publication: engines,
      publicUrl,
    };
    const followers = [ada, grace, engines].map(
      (a) => `https://bridge.example/actors/${a.id}/followers`,
    );
    const pub = renderArticle(input);
    assert.deepEqual([pub.to, pub.cc], [[PUBLIC], followers]);
    const unlisted = renderArticle({
      ...input,
      article: { ...input.article, visibility: 'unlisted' },
    });
    assert.deepEqual([unlisted.to, unlisted.cc], [followers, [PUBLIC]]);
    assert.deepEqual(
      pub.attributedTo,
      [ada, grace, engines].map((a) => `https://bridge.example/actors/${a.id}`),
    );
  });

  it('content is sanitized: no pixel, absolute links', () => {
    const json = renderArticle({ article: story(), authors: [ada], publication: null, publicUrl });
    const content = String(json.content);
    assert.ok(!content.includes('/_/stat'));
    assert.ok(content.includes('href="https://stories.example/about"'));
  });
});
