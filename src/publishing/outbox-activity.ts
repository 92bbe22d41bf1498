import type { ArticleJson } from './render-article.js';

/**
 * A stored Create as an outbox shows it: the activity as sent (id, actor, published, anything
 * else), around the story as it is now. Followers had every change as an Update, so the current
 * Article is what they hold; the stored one may be several edits old. The addressing follows the
 * Article's, as it did when the Create was sent; `@context` is the Article's, plus any entry of
 * the stored one it lacks.
 */
export function createWithCurrentArticle(
  stored: Readonly<Record<string, unknown>>,
  article: ArticleJson,
): Record<string, unknown> {
  const { '@context': articleContext, ...object } = article;
  const { '@context': storedContext, ...activity } = stored;
  return {
    '@context': mergeContexts(articleContext, storedContext),
    ...activity,
    to: object.to,
    cc: object.cc,
    object,
  };
}

/**
 * A stored activity as sent, `@context` first again (jsonb keeps keys sorted by length, which
 * puts it last); the meaning is the same, the document reads as usual.
 */
export function asSent(stored: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!('@context' in stored)) return { ...stored };
  const { '@context': context, ...activity } = stored;
  return { '@context': context, ...activity };
}

/** `first`'s entries, then those of `second` that are not among them (compared as JSON). */
export function mergeContexts(first: unknown, second: unknown): unknown {
  const entries = asList(first);
  const seen = new Set(entries.map((e) => JSON.stringify(e)));
  for (const entry of asList(second)) {
    const key = JSON.stringify(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push(entry);
  }
  return entries.length === 1 ? entries[0] : entries;
}

function asList(context: unknown): unknown[] {
  if (context === undefined || context === null) return [];
  return Array.isArray(context) ? [...(context as unknown[])] : [context];
}
