import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asSent, createWithCurrentArticle, mergeContexts } from './outbox-activity.js';
import { ARTICLE_CONTEXT, PUBLIC, type ArticleJson } from './render-article.js';

const AS = 'https://www.w3.org/ns/activitystreams';
const DCTERMS = { dcterms: 'http://purl.org/dc/terms/' };
const ARTICLE_ID = 'https://bridge.example/articles/a1';
const FOLLOWERS = 'https://bridge.example/actors/u1/followers';

const stored = {
  '@context': [...ARTICLE_CONTEXT],
  id: 'https://bridge.example/activities/c1',
  type: 'Create',
  actor: 'https://bridge.example/actors/u1',
  published: '2026-11-20T10:00:00Z',
  to: [PUBLIC],
  cc: [FOLLOWERS],
  object: { id: ARTICLE_ID, type: 'Article', name: 'First title', to: [PUBLIC], cc: [FOLLOWERS] },
};

describe('createWithCurrentArticle', () => {
  it('keeps the activity as sent around the Article as it is now, without its @context', () => {
    const current: ArticleJson = {
      '@context': [...ARTICLE_CONTEXT, DCTERMS],
      id: ARTICLE_ID,
      type: 'Article',
      name: 'Edited title',
      to: [FOLLOWERS],
      cc: [PUBLIC],
      'dcterms:subject': 'spoilers',
    };
    const sut = createWithCurrentArticle(stored, current);
    assert.equal(Object.keys(sut)[0], '@context');
    assert.deepEqual(sut, {
      '@context': [...ARTICLE_CONTEXT, DCTERMS],
      id: 'https://bridge.example/activities/c1',
      type: 'Create',
      actor: 'https://bridge.example/actors/u1',
      published: '2026-11-20T10:00:00Z',
      to: [FOLLOWERS],
      cc: [PUBLIC],
      object: {
        id: ARTICLE_ID,
        type: 'Article',
        name: 'Edited title',
        to: [FOLLOWERS],
        cc: [PUBLIC],
        'dcterms:subject': 'spoilers',
      },
    });
  });
});

describe('asSent', () => {
  it('puts @context first and changes nothing else', () => {
    const fromJsonb = {
      cc: [FOLLOWERS],
      id: 'https://bridge.example/activities/a1',
      '@context': AS,
    };
    const sut = asSent(fromJsonb);
    assert.deepEqual(Object.keys(sut), ['@context', 'cc', 'id']);
    assert.deepEqual(sut, fromJsonb);
    assert.deepEqual(asSent({ id: 'x' }), { id: 'x' });
  });
});

describe('mergeContexts', () => {
  it('appends what the second lacks, once, after the first', () => {
    assert.deepEqual(mergeContexts([AS, { a: 'as:a' }], [AS, { b: 'as:b' }, { a: 'as:a' }]), [
      AS,
      { a: 'as:a' },
      { b: 'as:b' },
    ]);
  });

  it('gives a single context as a string, and takes either side missing', () => {
    assert.equal(mergeContexts(AS, AS), AS);
    assert.equal(mergeContexts(AS, undefined), AS);
    assert.deepEqual(mergeContexts(undefined, [AS, DCTERMS]), [AS, DCTERMS]);
  });
});
