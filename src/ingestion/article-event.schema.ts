import type { Visibility } from '../articles/article.js';

/**
 * Version 1 of the article event contract (docs/events.md). `schemas/article-event.v1.json` is
 * this object written out for platform teams; a spec keeps the two identical.
 */

/** The event types of version 1. */
export type ArticleEventType = 'article.published' | 'article.updated' | 'article.deleted';

/** An author as an event describes them. */
export interface EventAuthor {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly bio?: string | null;
  readonly avatarUrl?: string | null;
  readonly profileUrl?: string | null;
}

/** A publication as an event describes it. */
export interface EventPublication {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly description?: string | null;
  readonly avatarUrl?: string | null;
  readonly url?: string | null;
  readonly customDomain?: string | null;
}

/** The story of an `article.published` or `article.updated` event. */
export interface EventArticle {
  readonly id: string;
  readonly url: string;
  readonly title: string;
  readonly subtitle?: string | null;
  readonly contentHtml: string;
  readonly excerpt?: string | null;
  readonly language?: string | null;
  readonly tags: readonly string[];
  readonly coverImage?: { readonly url: string; readonly alt?: string | null } | null;
  readonly publishedAt: string;
  readonly updatedAt: string;
  readonly visibility: Visibility;
  readonly contentWarning?: string | null;
  readonly commentsEnabled?: boolean | null;
  readonly authors: readonly EventAuthor[];
  readonly publication?: EventPublication | null;
}

interface EventEnvelope<T extends ArticleEventType, A> {
  readonly schemaVersion: 1;
  readonly eventId: string;
  readonly type: T;
  readonly occurredAt: string;
  readonly article: A;
}

/** An article event of schema version 1. */
export type ArticleEvent =
  | EventEnvelope<'article.published' | 'article.updated', EventArticle>
  | EventEnvelope<'article.deleted', { readonly id: string }>;

const nullable = (schema: Record<string, unknown>) => ({
  ...schema,
  type: [schema.type, 'null'],
});
const id = { type: 'string', minLength: 1, maxLength: 255 };
const text = (maxLength: number) => ({ type: 'string', maxLength });
const webUrl = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 };
const timestamp = { type: 'string', format: 'date-time' };

/** The JSON Schema (draft 2019-09 subset that ajv's default draft-07 mode accepts). */
export const ARTICLE_EVENT_SCHEMA = {
  $id: 'https://fediverse-bridge.invalid/schemas/article-event.v1.json',
  title: 'Article event, schema version 1',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'eventId', 'type', 'occurredAt', 'article'],
  properties: {
    schemaVersion: { const: 1 },
    eventId: { type: 'string', format: 'uuid' },
    type: { enum: ['article.published', 'article.updated', 'article.deleted'] },
    occurredAt: timestamp,
    article: { type: 'object' },
  },
  if: { required: ['type'], properties: { type: { const: 'article.deleted' } } },
  then: { properties: { article: { $ref: '#/definitions/deletedArticle' } } },
  else: { properties: { article: { $ref: '#/definitions/article' } } },
  definitions: {
    deletedArticle: {
      type: 'object',
      required: ['id'],
      properties: { id },
    },
    article: {
      type: 'object',
      additionalProperties: false,
      required: [
        'id',
        'url',
        'title',
        'contentHtml',
        'tags',
        'publishedAt',
        'updatedAt',
        'visibility',
        'authors',
      ],
      properties: {
        id,
        url: { type: 'string', format: 'uri', pattern: '^https://', maxLength: 2048 },
        title: { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S' },
        subtitle: nullable(text(2000)),
        contentHtml: text(2_000_000),
        excerpt: nullable(text(5000)),
        language: nullable({
          type: 'string',
          maxLength: 35,
          pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
        }),
        tags: {
          type: 'array',
          maxItems: 100,
          items: { type: 'string', minLength: 1, maxLength: 100 },
        },
        coverImage: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['url'],
          properties: { url: webUrl, alt: nullable(text(1500)) },
        },
        publishedAt: timestamp,
        updatedAt: timestamp,
        visibility: { enum: ['public', 'members', 'unlisted'] },
        contentWarning: nullable(text(1000)),
        commentsEnabled: { type: ['boolean', 'null'] },
        authors: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: { $ref: '#/definitions/author' },
        },
        publication: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['id', 'slug', 'name'],
          properties: {
            id,
            slug: { type: 'string', minLength: 1, maxLength: 255 },
            name: text(500),
            description: nullable(text(10_000)),
            avatarUrl: nullable(webUrl),
            url: nullable(webUrl),
            customDomain: nullable({ type: 'string', format: 'hostname', maxLength: 253 }),
          },
        },
      },
    },
    author: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'username', 'displayName'],
      properties: {
        id,
        username: { type: 'string', minLength: 1, maxLength: 255 },
        displayName: text(500),
        bio: nullable(text(10_000)),
        avatarUrl: nullable(webUrl),
        profileUrl: nullable(webUrl),
      },
    },
  },
} as const;
