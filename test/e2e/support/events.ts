import { randomUUID } from 'node:crypto';

/** Overrides of an event's article fields. */
type ArticleOverrides = Record<string, unknown>;

/** A valid `article.published` event, with `article` fields overridden as given. */
export function publishedEvent(
  articleId: string,
  article: ArticleOverrides = {},
  envelope: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schemaVersion: 1,
    eventId: randomUUID(),
    type: 'article.published',
    occurredAt: '2026-11-20T10:00:00.000Z',
    article: {
      id: articleId,
      url: `https://stories.example/p/${articleId}`,
      title: `Story ${articleId}`,
      subtitle: 'A subtitle',
      contentHtml: '<p>Once upon a time.</p>',
      tags: ['fediverse', 'Writing'],
      publishedAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      visibility: 'public',
      authors: [{ id: 'u-ada', username: 'ada', displayName: 'Ada Lovelace' }],
      publication: { id: 'pub-1', slug: 'engines', name: 'Analytical Engines' },
      ...article,
    },
    ...envelope,
  };
}

/** An `article.updated` event. */
export function updatedEvent(
  articleId: string,
  updatedAt: string,
  article: ArticleOverrides = {},
): Record<string, unknown> {
  return publishedEvent(
    articleId,
    { updatedAt, ...article },
    { type: 'article.updated', occurredAt: updatedAt },
  );
}

/** An `article.deleted` event. */
export function deletedEvent(articleId: string, occurredAt = '2026-11-21T10:00:00.000Z') {
  return {
    schemaVersion: 1,
    eventId: randomUUID(),
    type: 'article.deleted',
    occurredAt,
    article: { id: articleId },
  };
}
