import type { ArticleContent } from '../articles/article.js';
import { untypedValidator, type Validated } from '../common/validation.js';
import { ARTICLE_EVENT_SCHEMA, type ArticleEvent } from './article-event.schema.js';
import type { IngestCommand, IngestSource } from './ingest.js';

const validate = untypedValidator<ArticleEvent>(ARTICLE_EVENT_SCHEMA);

/** Checks untrusted input against the article event schema; every problem has a JSON pointer. */
export function validateArticleEvent(input: unknown): Validated<ArticleEvent> {
  return validate(input);
}

/** The `eventId` of something that may not be a valid event, when it has a usable one. */
export function eventIdOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || !('eventId' in input)) return null;
  const { eventId } = input;
  return typeof eventId === 'string' && UUID.test(eventId) ? eventId.toLowerCase() : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Turns a valid event into the command ingestion applies. */
export function commandOf(event: ArticleEvent, source: IngestSource): IngestCommand {
  const base = {
    eventId: event.eventId.toLowerCase(),
    source,
    occurredAt: new Date(event.occurredAt),
  };
  if (event.type === 'article.deleted') {
    return { ...base, kind: 'delete', platformId: event.article.id };
  }
  const a = event.article;
  const article: ArticleContent = {
    platformId: a.id,
    url: a.url,
    title: a.title.trim(),
    subtitle: blankToNull(a.subtitle),
    contentHtml: a.contentHtml,
    excerpt: blankToNull(a.excerpt),
    language: blankToNull(a.language),
    tags: uniqueTags(a.tags),
    coverImage: a.coverImage ? { url: a.coverImage.url, alt: a.coverImage.alt ?? '' } : null,
    publishedAt: new Date(a.publishedAt),
    updatedAt: new Date(a.updatedAt),
    visibility: a.visibility,
    contentWarning: blankToNull(a.contentWarning),
    commentsEnabled: a.commentsEnabled ?? true,
  };
  const authors = uniqueBy(a.authors, (au) => au.id).map((au) => ({
    platformId: au.id,
    profile: {
      username: au.username,
      displayName: au.displayName,
      ...(au.bio === undefined ? {} : { bio: au.bio }),
      ...(au.avatarUrl === undefined ? {} : { avatarUrl: au.avatarUrl }),
      ...(au.profileUrl === undefined ? {} : { profileUrl: au.profileUrl }),
    },
  }));
  const p = a.publication;
  const publication =
    p === undefined || p === null
      ? null
      : {
          platformId: p.id,
          profile: {
            slug: p.slug,
            name: p.name,
            ...(p.description === undefined ? {} : { description: p.description }),
            ...(p.avatarUrl === undefined ? {} : { avatarUrl: p.avatarUrl }),
            ...(p.url === undefined ? {} : { url: p.url }),
            ...(p.customDomain === undefined ? {} : { customDomain: p.customDomain }),
          },
        };
  return { ...base, kind: 'upsert', eventType: event.type, article, authors, publication };
}

function blankToNull(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Tags trimmed, without a leading `#`, deduplicated case-insensitively, first spelling kept. */
export function uniqueTags(tags: readonly string[]): string[] {
  const cleaned = tags.map((t) => t.trim().replace(/^#+/, '').trim()).filter((t) => t !== '');
  return uniqueBy(cleaned, (t) => t.toLowerCase());
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
