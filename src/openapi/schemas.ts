import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { MAX_ANSWER_CHARS } from '../comments/reply-back.js';
import { ARTICLE_EVENT_SCHEMA } from '../ingestion/article-event.schema.js';

/**
 * Component schemas of the `/api/v1` document (OpenAPI 3.1, so JSON Schema 2020-12: nullable
 * values are `type: [..., 'null']`). They describe the views the controllers return; a controller
 * names one with {@link ref}. Request bodies validated by an ajv schema reuse that schema (see
 * {@link jsonSchema}); the article event body is `schemas/article-event.v1.json` itself.
 */

/** A JSON Schema as plain data; `@nestjs/swagger`'s `SchemaObject` type knows only OpenAPI 3.0. */
export type JsonSchema = Readonly<Record<string, unknown>>;

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const integer = { type: 'integer' } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const boolean = { type: 'boolean' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const uri = { type: 'string', format: 'uri' } as const;
const nullableUri = { type: ['string', 'null'], format: 'uri' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const strings = { type: 'array', items: string } as const;
/** A `$ref` inside the components themselves (the document spec checks that each resolves). */
const refTo = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (name: string): JsonSchema => ({ type: 'array', items: refTo(name) });

/** An object whose listed properties are all present (every view field is always set). */
function object(
  properties: Record<string, JsonSchema>,
  extra: { optional?: readonly string[]; description?: string } = {},
): JsonSchema {
  const optional = new Set(extra.optional ?? []);
  return {
    type: 'object',
    ...(extra.description === undefined ? {} : { description: extra.description }),
    required: Object.keys(properties).filter((key) => !optional.has(key)),
    properties,
  };
}

const described = (schema: JsonSchema, description: string): JsonSchema => ({
  ...schema,
  description,
});

/** The article event's `definitions`, moved to components: `author` → `ArticleEventAuthor`. */
const ARTICLE_EVENT_PREFIX = 'ArticleEvent';

function articleEventComponents(): Record<string, JsonSchema> {
  const event = structuredClone(ARTICLE_EVENT_SCHEMA) as Record<string, unknown>;
  const definitions = event.definitions as Record<string, JsonSchema>;
  delete event.definitions;
  delete event.$id;
  const nameOf = (definition: string) =>
    `${ARTICLE_EVENT_PREFIX}${definition.charAt(0).toUpperCase()}${definition.slice(1)}`;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string' && inner.startsWith('#/definitions/')
          ? `#/components/schemas/${nameOf(inner.slice('#/definitions/'.length))}`
          : rewrite(inner),
      ]),
    );
  };
  const components: Record<string, JsonSchema> = {
    [ARTICLE_EVENT_PREFIX]: {
      ...(rewrite(event) as JsonSchema),
      description:
        'Schema version 1 of the article event (docs/events.md; the same schema as ' +
        '`schemas/article-event.v1.json`). `type` selects the shape of `article`.',
    },
  };
  for (const [name, schema] of Object.entries(definitions)) {
    components[nameOf(name)] = rewrite(schema) as JsonSchema;
  }
  return components;
}

const COMMENT_AUTHOR = object(
  {
    actorId: described(uri, "The actor's ActivityPub id."),
    handle: described(string, '`@user@host`.'),
    name: nullableString,
    avatarUrl: nullableUri,
    profileUrl: nullableUri,
    host: string,
  },
  { description: 'The author of a reply, as seen when it arrived.' },
);

const DELIVERY_COUNTS = object(
  { pending: integer, delivered: integer, failed: integer, skipped: integer },
  { description: 'Deliveries (one per inbox) by status.' },
);

/** Every component schema, by name. */
const COMPONENTS = {
  Error: object(
    {
      error: described(string, 'Machine-readable reason, such as `not_found`.'),
      message: described(string, 'What went wrong, for people.'),
    },
    { description: 'The body of every error answer.' },
  ),
  Problem: object(
    {
      pointer: described(string, 'JSON pointer to the offending value, such as `/article/title`.'),
      message: string,
    },
    { description: 'One reason a body was refused.' },
  ),
  ValidationError: object(
    {
      error: described(string, '`invalid_request`, `invalid_event` or `invalid_body`.'),
      message: string,
      problems: arrayOf('Problem'),
    },
    {
      optional: ['problems'],
      description:
        'A body that is not what the endpoint takes: every problem with a JSON pointer. A body ' +
        'that is not JSON at all gets `{ message, error, statusCode: 400 }`.',
    },
  ),
  Actor: object(
    {
      platformId: string,
      kind: { enum: ['author', 'publication'] },
      handle: string,
      acct: described(string, 'The fediverse address, `@handle@host`.'),
      aliases: described(strings, 'Also reachable at `@slug@customDomain`.'),
      actorId: described(uri, 'The ActivityPub id.'),
      profilePage: uri,
      name: string,
      summaryHtml: string,
      avatarUrl: nullableUri,
      headerUrl: nullableUri,
      url: nullableUri,
      links: {
        type: 'array',
        items: object({ name: string, url: uri }),
      },
      alsoKnownAs: { type: 'array', items: uri },
      indexable: boolean,
      customDomain: nullableString,
      members: described(strings, 'Publications: platform ids of the member authors.'),
      publications: described(strings, 'Authors: platform ids of their publications.'),
      createdAt: dateTime,
      updatedAt: dateTime,
    },
    {
      optional: ['members', 'publications'],
      description: 'An author or publication as the admin API shows it.',
    },
  ),
  KeyRotation: object({
    actorId: string,
    inboxes: described(integer, 'Follower inboxes the Update(actor) goes to.'),
  }),
  Attribution: object(
    {
      platformId: string,
      handle: described(string, "The author's fediverse address, `@handle@host`."),
      metaTag: object({ name: string, content: string }),
      html: described(string, "The same tag as HTML, ready for the page's `<head>`."),
      attributionDomains: described(strings, 'Only pages on these domains get the byline.'),
      actorId: uri,
      warning: described(string, 'Why the byline will not show yet, when that is known.'),
    },
    { optional: ['warning'] },
  ),
  /** Filled in from `schemas/article-event.v1.json`'s source by articleEventComponents(). */
  ArticleEvent: {},
  CommentReplyEvent: object(
    {
      schemaVersion: { const: 1 },
      eventId: uuid,
      type: { const: 'comment.reply' },
      occurredAt: dateTime,
      reply: {
        type: 'object',
        required: ['commentId', 'authorId', 'contentHtml'],
        properties: {
          replyId: described(
            { type: 'string', minLength: 1, maxLength: 255 },
            "The answer's platform id (default: the event id).",
          ),
          commentId: uuid,
          authorId: described(
            { type: 'string', minLength: 1, maxLength: 255 },
            "The answering author's platform id.",
          ),
          contentHtml: { type: 'string', minLength: 1, maxLength: MAX_ANSWER_CHARS },
        },
      },
    },
    {
      description: "An author's answer to a fediverse comment (docs/comments.md).",
    },
  ),
  AcceptedEvent: object(
    {
      eventId: uuid,
      outcome: { enum: ['applied', 'unchanged', 'stale', 'duplicate'] },
      reason: described(string, 'Why, for `stale`, `duplicate` and some `applied`.'),
      change: { enum: ['create', 'update', 'delete'] },
      articleId: described(string, "The story's internal id, when known."),
    },
    { optional: ['reason', 'change', 'articleId'] },
  ),
  IngestLogLine: object(
    {
      receivedAt: dateTime,
      source: { enum: ['kafka', 'http', 'feed', 'websub'] },
      origin: described(
        nullableString,
        '`topic/partition@offset` for Kafka, the feed id for feeds.',
      ),
      type: nullableString,
      articleId: described(nullableString, "The story's platform id."),
      outcome: { enum: ['applied', 'unchanged', 'stale', 'duplicate', 'rejected'] },
      reason: nullableString,
      message: nullableString,
      problems: arrayOf('Problem'),
    },
    { optional: ['problems'] },
  ),
  EventLog: object({ eventId: uuid, log: arrayOf('IngestLogLine') }),
  KafkaLag: object({
    topic: string,
    groupId: string,
    partitions: {
      type: 'array',
      items: object({
        partition: integer,
        committed: described(nullableString, 'The next offset the group reads (a decimal string).'),
        end: described(string, 'The end offset (high watermark).'),
        lag: string,
      }),
    },
    total: described(string, "Sum of the partitions' lag."),
    consumer: {
      description: "This process's consumer counters; null where no consumer runs.",
      anyOf: [
        object(
          {
            processed: integer,
            rejected: integer,
            dlq: integer,
            retries: integer,
            lastError: string,
          },
          { optional: ['lastError'] },
        ),
        { type: 'null' },
      ],
    },
  }),
  Feed: object({
    id: uuid,
    url: uri,
    registeredUrl: described(uri, 'The URL as registered, before redirects.'),
    owner: object({
      kind: { enum: ['author', 'publication', 'unknown'] },
      platformId: string,
      handle: string,
    }),
    status: { enum: ['active', 'failing', 'disabled'] },
    disabledReason: nullableString,
    title: nullableString,
    minIntervalSeconds: integer,
    maxIntervalSeconds: integer,
    intervalSeconds: integer,
    backfill: integer,
    nextPollAt: dateTime,
    lastPolledAt: nullableDateTime,
    lastSuccessAt: nullableDateTime,
    lastStatus: nullableInteger,
    consecutiveFailures: integer,
    lastError: nullableString,
    items: described(integer, 'Feed items recorded.'),
    websub: object({
      state: { enum: ['none', 'pending', 'active', 'denied'] },
      hub: nullableUri,
      topic: nullableUri,
    }),
    createdAt: dateTime,
  }),
  FeedPage: object({
    items: arrayOf('Feed'),
    next: described(nullableString, 'Pass as `after` for the next page; null on the last.'),
  }),
  FeedPoll: object({
    poll: object(
      {
        feedId: uuid,
        result: { enum: ['fetched', 'not-modified', 'failed', 'disabled', 'skipped'] },
        error: string,
        created: integer,
        updated: integer,
        recorded: described(integer, 'Items recorded without federating (older than the feed).'),
        skipped: integer,
      },
      { optional: ['error'] },
    ),
    feed: refTo('Feed'),
  }),
  DeliveryReport: object({
    platformId: string,
    articleId: described(string, "The story's internal id."),
    totals: DELIVERY_COUNTS,
    activities: {
      type: 'array',
      items: object({
        id: described(uri, "The activity's ActivityPub id."),
        type: { enum: ['Create', 'Update', 'Delete', 'Announce'] },
        actor: described(uri, 'Id of the actor that sent it.'),
        createdAt: dateTime,
        recipients: integer,
        counts: DELIVERY_COUNTS,
      }),
    },
    failuresByHost: {
      type: 'array',
      items: object({
        host: string,
        failed: integer,
        pending: integer,
        lastStatus: nullableInteger,
        lastError: nullableString,
        lastAttemptAt: dateTime,
      }),
    },
  }),
  Pin: object({ platformId: string, pinned: boolean, pinnedAt: nullableDateTime }),
  ArticleEngagement: object({
    platformId: string,
    articleId: described(string, "The story's internal id."),
    url: uri,
    deleted: boolean,
    likes: integer,
    boosts: integer,
    comments: described(integer, 'Shown comments (approved, public or unlisted).'),
    likedBy: described(strings, 'Actor ids of the 20 most recent likes, newest first.'),
    boostedBy: described(strings, 'Actor ids of the 20 most recent boosts, newest first.'),
  }),
  Comment: object(
    {
      id: uuid,
      apId: described(uri, "The reply's ActivityPub id."),
      url: nullableUri,
      parentId: described(
        { type: ['string', 'null'], format: 'uuid' },
        'The comment it answers; null under the story itself.',
      ),
      depth: described(integer, '0 under the story.'),
      author: COMMENT_AUTHOR,
      contentHtml: described(string, 'Sanitized HTML.'),
      contentText: string,
      language: nullableString,
      contentWarning: nullableString,
      attachments: {
        type: 'array',
        items: object({ url: uri, mediaType: nullableString, alt: nullableString }),
      },
      visibility: { enum: ['public', 'unlisted', 'followers', 'direct'] },
      status: { enum: ['pending', 'approved', 'rejected', 'removed'] },
      publishedAt: dateTime,
      editedAt: nullableDateTime,
    },
    { description: 'A reply from the fediverse, as the platform reads it.' },
  ),
  CommentPage: object({
    platformId: string,
    comments: arrayOf('Comment'),
    next: described(nullableString, 'Pass as `cursor` for the next page; null on the last.'),
  }),
  CommentList: object({ comments: arrayOf('Comment') }),
  AnswerRequest: {
    type: 'object',
    required: ['authorId', 'contentHtml'],
    properties: {
      authorId: described(
        { type: 'string', minLength: 1, maxLength: 255 },
        "The answering author's platform id (printable characters).",
      ),
      contentHtml: { type: 'string', minLength: 1, maxLength: MAX_ANSWER_CHARS },
      replyId: described(
        { type: 'string', minLength: 1, maxLength: 255 },
        "The answer's platform id: a retry with the same one answers 200 with the same answer.",
      ),
    },
  },
  Answer: object({ comment: refTo('Comment') }),
  ModerationDecision: object({ id: uuid, status: { enum: ['approved', 'rejected'] } }),
  ModerationPolicy: object({
    mode: { enum: ['auto', 'hold_all', 'hold_first_time'] },
    keywords: described(
      { type: 'array', maxItems: 500, items: { type: 'string', minLength: 1, maxLength: 200 } },
      'A reply containing one (whole word or phrase, any case) is held. Stored trimmed and ' +
        'lower-cased, without duplicates.',
    ),
  }),
  BlockRequest: {
    type: 'object',
    required: ['kind', 'value'],
    properties: {
      kind: { enum: ['domain', 'actor'] },
      value: described(
        { type: 'string', minLength: 1, maxLength: 2048 },
        'A host name (`mastodon.example`, subdomains included) or an actor id.',
      ),
      reason: { type: ['string', 'null'] },
    },
  },
  Block: object({
    kind: { enum: ['domain', 'actor'] },
    value: string,
    reason: nullableString,
    createdAt: dateTime,
  }),
  BlockList: object({ blocks: arrayOf('Block') }),
  BlockResult: object({
    blocked: { const: true },
    commentsHidden: described(integer, 'Stored comments rejected by the block.'),
  }),
  UnblockResult: object({ blocked: { const: false } }),
  Report: object({
    id: string,
    apId: described(uri, "The Flag's id."),
    reporterActorId: uri,
    reporterHost: string,
    content: nullableString,
    targets: described(strings, 'Ids of our actors, stories and comments it names.'),
    status: { enum: ['open', 'resolved'] },
    createdAt: dateTime,
  }),
  ReportList: object({ reports: arrayOf('Report') }),
  FailedWebhook: object({
    seq: described(string, 'The comment event id.'),
    url: uri,
    attempts: integer,
    lastStatus: nullableInteger,
    lastError: nullableString,
    updatedAt: dateTime,
  }),
  FailedWebhookList: object({ failed: arrayOf('FailedWebhook') }),
} satisfies Record<string, JsonSchema>;

/** Names of the component schemas. */
export type ComponentName = keyof typeof COMPONENTS;

/** A `$ref` to component `name`. */
export function ref(name: ComponentName): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** Every component schema, as fresh copies (the document generator may rewrite them in place). */
export function componentSchemas(): Record<string, SchemaObject> {
  const shared = Object.entries(COMPONENTS).filter(([name]) => name !== ARTICLE_EVENT_PREFIX);
  return structuredClone({ ...Object.fromEntries(shared), ...articleEventComponents() });
}

/**
 * A JSON Schema (an ajv one, say) for a decorator, copied: the document generator rewrites
 * `nullable` in place, and the original may be the one a validator was compiled from.
 */
export function jsonSchema(schema: object): SchemaObject {
  return structuredClone(schema);
}

/** The body of `POST /api/v1/events`: an article event or a `comment.reply` event. */
export function eventBodySchema(): SchemaObject {
  return { oneOf: [ref('ArticleEvent'), ref('CommentReplyEvent')] };
}
