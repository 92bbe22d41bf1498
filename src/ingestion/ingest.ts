import type { AuthorProfile, PublicationProfile } from '../actors/actor.js';
import type { ArticleChangeKind, ArticleContent } from '../articles/article.js';

/** Where an event came from. */
export type IngestSource = 'kafka' | 'http' | 'feed' | 'websub';

/**
 * What became of an event:
 * - `applied`: its effect is stored (and a publish job queued);
 * - `unchanged`: newer than the stored story, but nothing a reader sees changed (no job);
 * - `stale`: older than the stored story (by `updatedAt`), ignored;
 * - `duplicate`: its `eventId` was already processed, ignored;
 * - `rejected`: invalid or impossible (see `reason`); nothing stored but the log line.
 */
export type IngestOutcomeKind = 'applied' | 'unchanged' | 'stale' | 'duplicate' | 'rejected';

/** One schema problem, located by a JSON pointer into the event. */
export interface Problem {
  readonly pointer: string;
  readonly message: string;
}

/** The result of ingesting one event. */
export interface IngestOutcome {
  readonly eventId: string | null;
  readonly outcome: IngestOutcomeKind;
  /** Machine-readable reason for `rejected`, `stale`, `duplicate` (e.g. `invalid_event`). */
  readonly reason?: string;
  /** Human-readable detail. */
  readonly message?: string;
  /** Schema problems when `reason` is `invalid_event` or `invalid_json`. */
  readonly problems?: readonly Problem[];
  /** The stored change when `applied`. */
  readonly change?: ArticleChangeKind;
  /** Internal id of the story, when known. */
  readonly articleId?: string;
}

/** An author named by an event: the profile is created or updated (merged) when given. */
export interface AuthorRef {
  readonly platformId: string;
  readonly profile?: AuthorProfile;
}

/** A publication named by an event: the profile is created or updated (merged) when given. */
export interface PublicationRef {
  readonly platformId: string;
  readonly profile?: Omit<PublicationProfile, 'members'>;
}

/** A validated, source-independent instruction to change a story. */
export type IngestCommand =
  | {
      readonly kind: 'upsert';
      readonly eventId: string;
      /** `article.published`, `article.updated`, or a feed's `feed.item`; recorded in the log. */
      readonly eventType: string;
      readonly source: IngestSource;
      readonly occurredAt: Date;
      readonly article: ArticleContent;
      /** At least one; the first is the primary author. */
      readonly authors: readonly AuthorRef[];
      readonly publication: PublicationRef | null;
    }
  | {
      readonly kind: 'delete';
      readonly eventId: string;
      readonly source: IngestSource;
      readonly occurredAt: Date;
      readonly platformId: string;
    };

/**
 * Where sources hand events over. Implemented by IngestService.
 *
 * Both methods resolve once the effect (or the rejection) is stored, and throw only on failures
 * worth retrying (database or queue outages, see {@link isTransientError}); a caller that gets an
 * exception must retry the same event later, never drop it.
 */
export interface EventSink {
  /** An event in the public contract (docs/events.md): validated, then applied. */
  ingestEvent(raw: unknown, source: IngestSource, context?: IngestContext): Promise<IngestOutcome>;
  /** An already-validated command (feeds build these). */
  apply(command: IngestCommand, context?: IngestContext): Promise<IngestOutcome>;
}

/** Where an event was read from, recorded in the ingest log. */
export interface IngestContext {
  /** E.g. `articles.events/2@1043` for Kafka, a feed id for feeds. */
  readonly origin?: string;
}

/** DI token of the {@link EventSink}. */
export const EVENT_SINK = Symbol('EVENT_SINK');
