import { ARTICLE_CONTEXT } from './render-article.js';

/**
 * Version 1 of the Article the bridge serves and sends (docs/publishing.md), as a JSON Schema:
 * exactly the shape {@link renderArticle} emits, for consumers and for our own tests.
 * `schemas/article.v1.json` is this object written out; a spec keeps the two identical, and a
 * property test (render-article.property.spec.ts) validates random renders against it.
 *
 * Written, like the article event schema, in the draft-07 subset that ajv's default mode
 * accepts. Every object we build has `additionalProperties: false`; `@context` is one of the
 * two contexts we write.
 */

/** An absolute http(s) URL. */
const webUrl = { type: 'string', format: 'uri', pattern: '^https?://' };
/** Actor or collection ids (the Public collection among them). */
const uriList = { type: 'array', minItems: 1, items: webUrl };
/** FEP-b2b8's timestamps: UTC, to the second. */
const timestamp = {
  type: 'string',
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
};
/** HTML in one or more paragraphs, as `summary` is written (never empty). */
const paragraphs = { type: 'string', pattern: '^<p>[\\s\\S]*</p>$' };
/** A language map with the story's one language (BCP 47). */
const languageMap = (value: object) => ({
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  propertyNames: { pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$' },
  additionalProperties: value,
});

/** The `@context` of an Article with a content warning. */
const SENSITIVE_CONTEXT = [...ARTICLE_CONTEXT, { dcterms: 'http://purl.org/dc/terms/' }];

/** The JSON Schema of a rendered Article, version 1. */
export const ARTICLE_SCHEMA = {
  $id: 'https://fediverse-bridge.invalid/schemas/article.v1.json',
  title: 'Article (ActivityStreams), as the bridge renders a story, version 1',
  type: 'object',
  additionalProperties: false,
  required: [
    '@context',
    'id',
    'type',
    'attributedTo',
    'name',
    'content',
    'url',
    'published',
    'to',
    'cc',
    'sensitive',
    'preview',
    'replies',
    'context',
    'interactionPolicy',
  ],
  properties: {
    '@context': { enum: [ARTICLE_CONTEXT, SENSITIVE_CONTEXT] },
    id: { ...webUrl, pattern: '^https?://[^/]+/articles/[^/]+$' },
    type: { const: 'Article' },
    attributedTo: uriList,
    name: { type: 'string' },
    summary: paragraphs,
    content: { type: 'string' },
    contentMap: languageMap({ type: 'string' }),
    nameMap: languageMap({ type: 'string' }),
    summaryMap: languageMap(paragraphs),
    url: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'href', 'mediaType', 'mimeType'],
      properties: {
        type: { const: 'Link' },
        href: webUrl,
        mediaType: { const: 'text/html' },
        mimeType: { const: 'text/html' },
      },
    },
    published: timestamp,
    updated: timestamp,
    to: uriList,
    cc: uriList,
    image: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'url'],
      properties: {
        type: { const: 'Image' },
        url: webUrl,
        name: { type: 'string', minLength: 1 },
      },
    },
    tag: { $ref: '#/definitions/tags' },
    sensitive: { type: 'boolean' },
    'dcterms:subject': { type: 'string' },
    preview: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'attributedTo', 'content', 'published'],
      properties: {
        type: { const: 'Note' },
        attributedTo: webUrl,
        content: { type: 'string', pattern: '^<p><strong>[\\s\\S]*</strong></p>' },
        published: timestamp,
        tag: { $ref: '#/definitions/tags' },
      },
    },
    replies: { ...webUrl, pattern: '^https?://[^/]+/articles/[^/]+/replies$' },
    context: { ...webUrl, pattern: '^https?://[^/]+/articles/[^/]+/context$' },
    interactionPolicy: {
      type: 'object',
      additionalProperties: false,
      required: ['canReply'],
      properties: {
        canReply: {
          type: 'object',
          additionalProperties: false,
          required: ['always'],
          properties: { always: uriList },
        },
      },
    },
  },
  // A content warning is `sensitive`, `dcterms:subject` and the context that defines it.
  if: { required: ['sensitive'], properties: { sensitive: { const: true } } },
  then: {
    required: ['dcterms:subject'],
    properties: { 'dcterms:subject': { type: 'string' }, '@context': { const: SENSITIVE_CONTEXT } },
  },
  else: {
    properties: { 'dcterms:subject': false, '@context': { const: ARTICLE_CONTEXT } },
  },
  definitions: {
    tags: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'href', 'name'],
        properties: {
          type: { const: 'Hashtag' },
          href: { ...webUrl, pattern: '^https?://[^/]+/tags/[^/]+$' },
          name: { type: 'string', pattern: '^#.' },
        },
      },
    },
  },
} as const;
