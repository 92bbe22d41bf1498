import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARTICLE_TAGS, unsafeParts } from '../../test/support/property/html-safety.js';
import { forAll, Random } from '../../test/support/property/random.js';
import { randomRenderInput } from '../../test/support/property/story.js';
import { untypedValidator } from '../common/validation.js';
import { ARTICLE_SCHEMA } from './article.schema.js';
import { renderArticle, type ArticleJson } from './render-article.js';

const validate = untypedValidator<ArticleJson>(ARTICLE_SCHEMA);

/** The HTML fields of a rendered Article, with the tags each may use. */
function htmlFields(json: ArticleJson): [field: string, html: unknown, tags: readonly string[]][] {
  const preview = json.preview as { content?: unknown } | undefined;
  return [
    ['content', json.content, ARTICLE_TAGS],
    ['summary', json.summary ?? '', ['p']],
    ['preview.content', preview?.content, ['p', 'strong']],
  ];
}

describe('renderArticle (property)', () => {
  it('every rendered Article validates against schemas/article.v1.json, and its HTML is safe', () => {
    forAll({ name: 'rendered articles', runs: 1000 }, randomRenderInput, (input) => {
      const json = renderArticle(input);
      const result = validate(json);
      assert.deepEqual(result.ok ? [] : result.problems, [], JSON.stringify(json, null, 1));
      for (const [field, html, tags] of htmlFields(json)) {
        assert.equal(typeof html, 'string', field);
        assert.deepEqual(unsafeParts(html as string, tags), [], `${field}: ${String(html)}`);
      }
      // Addressing: Public exactly once, in `to` or `cc` by visibility.
      const to = json.to as string[];
      const cc = json.cc as string[];
      const publicIn = input.article.visibility === 'unlisted' ? cc : to;
      assert.deepEqual(publicIn, ['https://www.w3.org/ns/activitystreams#Public']);
      assert.equal(
        (input.article.visibility === 'unlisted' ? to : cc).length,
        input.authors.length + (input.publication === null ? 0 : 1),
      );
    });
  });

  it('the schema is not vacuous: it refuses what renderArticle must never emit', () => {
    const input = randomRenderInput(new Random(1));
    const json = renderArticle({
      ...input,
      article: { ...input.article, contentWarning: null, visibility: 'public' },
    });
    assert.equal(validate(json).ok, true);
    const broken: [string, Record<string, unknown>][] = [
      ['an unknown field', { ...json, extra: 1 }],
      ['a non-Article type', { ...json, type: 'Note' }],
      ['milliseconds', { ...json, published: '2026-11-20T10:00:00.123Z' }],
      ['dcterms:subject without sensitive', { ...json, 'dcterms:subject': 'x' }],
      ['sensitive without dcterms:subject', { ...json, sensitive: true }],
      ['a relative attributedTo', { ...json, attributedTo: ['/actors/x'] }],
      ['no addressing', { ...json, to: [] }],
      [
        'a Mention tag',
        { ...json, tag: [{ type: 'Mention', href: 'https://x.example/a', name: '@a' }] },
      ],
      [
        'a javascript: url',
        { ...json, url: { ...(json.url as object), href: 'javascript:alert(1)' } },
      ],
    ];
    for (const [what, value] of broken) {
      assert.equal(validate({ ...value, id: json.id }).ok, false, what);
    }
  });

  it('a tag of only dots or punctuation is no hashtag: left out, never a path segment', () => {
    const input = randomRenderInput(new Random(2));
    for (const tag of ['.', '..', '#', '!?']) {
      const json = renderArticle({
        ...input,
        article: { ...input.article, tags: [tag, 'engines'] },
      });
      const result = validate(json);
      assert.deepEqual(result.ok ? [] : result.problems, [], tag);
      const tags = json.tag as readonly { name: string }[];
      assert.deepEqual(
        tags.map((t) => t.name),
        ['#engines'],
        tag,
      );
    }
  });
});
