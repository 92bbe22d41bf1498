import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ArticleChangeKind, ArticleContent } from '../articles/article.js';
import { violatedUniqueConstraint } from '../database/pg-errors.js';
import { decideDelete, decideUpsert, type Decision, type StoredState } from './decide.js';
import type { IngestOutcomeKind, IngestSource, Problem } from './ingest.js';

/** A line of the ingest log. */
export interface LogLine {
  readonly eventId: string | null;
  readonly source: IngestSource;
  readonly origin: string | null;
  readonly eventType: string | null;
  readonly articlePlatformId: string | null;
  readonly outcome: IngestOutcomeKind;
  readonly reason?: string | null;
  readonly message?: string | null;
  readonly problems?: readonly Problem[] | null;
  readonly changeId?: string | null;
}

/** A logged line as read back. */
export interface LoggedLine extends LogLine {
  readonly id: string;
  readonly receivedAt: Date;
}

/** The outcome of a transactional write. */
export type WriteResult =
  | { readonly kind: 'duplicate' }
  | {
      readonly kind: 'decided';
      readonly decision: Decision;
      readonly articleId: string | null;
      readonly change: { readonly id: string; readonly kind: ArticleChangeKind } | null;
    };

/** An upsert with everything resolved: actor ids and the content hash. */
export interface ResolvedUpsert {
  readonly eventId: string;
  readonly eventType: string;
  readonly source: IngestSource;
  readonly origin: string | null;
  readonly article: ArticleContent;
  readonly authorIds: readonly string[];
  readonly publicationId: string | null;
  readonly contentHash: string;
}

/** A delete as it is written. */
export interface ResolvedDelete {
  readonly eventId: string;
  readonly source: IngestSource;
  readonly origin: string | null;
  readonly platformId: string;
  readonly occurredAt: Date;
}

/** A change whose publish job is not known to be queued. */
export interface PendingChange {
  readonly id: string;
  readonly articleId: string;
  readonly change: ArticleChangeKind;
  readonly eventId: string;
}

const EFFECT_KEY = 'ingest_log_event_effect_key';
const FINAL_OUTCOMES = `('applied', 'unchanged', 'stale')`;

interface StoredRow {
  id: string;
  source_updated_at: Date;
  content_hash: string;
  deleted_at: Date | null;
}

/**
 * The ingestion side of the articles table, the change outbox and the ingest log. Each event is
 * written in one transaction under an advisory lock on its story, so events for one story are
 * applied one at a time and an event id takes effect once (the log's partial unique index backs
 * that up across stories).
 */
@Injectable()
export class IngestRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * One read before the transaction, so that events the transaction will refuse do not touch the
   * actors first: whether the event id already took effect, and (for an upsert with this
   * `updatedAt`) whether the story was deleted or is stored in a newer version. The transaction
   * decides for good; this only saves work.
   */
  async precheck(
    eventId: string,
    platformId: string,
    updatedAt: Date | null,
  ): Promise<{ duplicate: boolean; refused: boolean }> {
    const [row] = await this.db.query<{ duplicate: boolean; refused: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ingest_log
                       WHERE event_id = $1 AND outcome IN ${FINAL_OUTCOMES}) AS duplicate,
              $3::timestamptz IS NOT NULL AND (
                EXISTS (SELECT 1 FROM articles WHERE platform_id = $2
                          AND (deleted_at IS NOT NULL OR source_updated_at > $3))
                OR EXISTS (SELECT 1 FROM ingest_log WHERE article_platform_id = $2
                             AND event_type = 'article.deleted' AND outcome = 'applied')
              ) AS refused`,
      [eventId, platformId, updatedAt],
    );
    return { duplicate: row?.duplicate ?? false, refused: row?.refused ?? false };
  }

  /**
   * Appends the line of an event that took effect elsewhere (a `comment.reply`); false when its
   * event id has a final line already (then nothing is written).
   */
  async logEffect(line: LogLine): Promise<boolean> {
    try {
      await this.insertLog(this.db.manager, line);
      return true;
    } catch (error) {
      if (violatedUniqueConstraint(error) === EFFECT_KEY) return false;
      throw error;
    }
  }

  /** Appends a line that changes nothing else (duplicates, rejections). */
  async log(line: LogLine): Promise<void> {
    await this.insertLog(this.db.manager, line);
  }

  /** Creates or updates a story, its change and its log line, in one transaction. */
  applyUpsert(cmd: ResolvedUpsert): Promise<WriteResult> {
    return this.write(cmd.eventId, cmd.article.platformId, async (tx) => {
      const stored = await this.lockedState(tx, cmd.article.platformId);
      const decision = decideUpsert(
        stored,
        { updatedAt: cmd.article.updatedAt, contentHash: cmd.contentHash },
        await this.deletedIn(tx, cmd.article.platformId),
      );
      let articleId = stored?.id ?? null;
      let change: { id: string; kind: ArticleChangeKind } | null = null;
      if (decision.outcome === 'applied' || decision.outcome === 'unchanged') {
        articleId = await this.writeArticle(tx, cmd, stored?.id ?? null);
      }
      if (decision.outcome === 'applied' && decision.change !== null && articleId !== null) {
        change = {
          id: await this.insertChange(tx, articleId, decision.change, cmd.eventId),
          kind: decision.change,
        };
      }
      await this.insertLog(tx, {
        eventId: cmd.eventId,
        source: cmd.source,
        origin: cmd.origin,
        eventType: cmd.eventType,
        articlePlatformId: cmd.article.platformId,
        outcome: decision.outcome,
        reason: decision.reason ?? null,
        changeId: change?.id ?? null,
      });
      return { kind: 'decided', decision, articleId, change };
    });
  }

  /** Marks a story deleted, with its change and log line, in one transaction. */
  applyDelete(cmd: ResolvedDelete): Promise<WriteResult> {
    return this.write(cmd.eventId, cmd.platformId, async (tx) => {
      const stored = await this.lockedState(tx, cmd.platformId);
      const decision = decideDelete(stored);
      let change: { id: string; kind: ArticleChangeKind } | null = null;
      if (decision.outcome === 'applied' && decision.change !== null && stored !== null) {
        await tx.query(
          `UPDATE articles SET deleted_at = $2, last_event_id = $3, modified_at = now() WHERE id = $1`,
          [stored.id, cmd.occurredAt, cmd.eventId],
        );
        change = {
          id: await this.insertChange(tx, stored.id, 'delete', cmd.eventId),
          kind: 'delete',
        };
      }
      await this.insertLog(tx, {
        eventId: cmd.eventId,
        source: cmd.source,
        origin: cmd.origin,
        eventType: 'article.deleted',
        articlePlatformId: cmd.platformId,
        outcome: decision.outcome,
        reason: decision.reason ?? null,
        changeId: change?.id ?? null,
      });
      return { kind: 'decided', decision, articleId: stored?.id ?? null, change };
    });
  }

  /** Records that these changes' publish jobs are in the queue. */
  async markEnqueued(changeIds: readonly string[]): Promise<void> {
    if (changeIds.length === 0) return;
    await this.db.query(
      `UPDATE article_changes SET enqueued_at = now() WHERE id = ANY($1::bigint[]) AND enqueued_at IS NULL`,
      [changeIds],
    );
  }

  /** Changes older than `olderThanMs` whose publish job was never confirmed queued. */
  async pendingChanges(olderThanMs: number, limit: number): Promise<PendingChange[]> {
    const rows = await this.db.query<
      { id: string; article_id: string; change: ArticleChangeKind; event_id: string }[]
    >(
      `SELECT id, article_id, change, event_id FROM article_changes
        WHERE enqueued_at IS NULL AND created_at < now() - make_interval(secs => $1)
        ORDER BY id LIMIT $2`,
      [olderThanMs / 1000, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      articleId: r.article_id,
      change: r.change,
      eventId: r.event_id,
    }));
  }

  /** The log lines of one event, oldest first. */
  async linesOf(eventId: string): Promise<LoggedLine[]> {
    const rows = await this.db.query<LogRow[]>(
      `SELECT ${LOG_COLUMNS} FROM ingest_log WHERE event_id = $1 ORDER BY id LIMIT 100`,
      [eventId],
    );
    return rows.map(lineOf);
  }

  /** The most recent log lines, newest first, optionally of one story. */
  async recentLines(options: { platformId?: string; limit: number }): Promise<LoggedLine[]> {
    const rows =
      options.platformId === undefined
        ? await this.db.query<LogRow[]>(
            `SELECT ${LOG_COLUMNS} FROM ingest_log ORDER BY id DESC LIMIT $1`,
            [options.limit],
          )
        : await this.db.query<LogRow[]>(
            `SELECT ${LOG_COLUMNS} FROM ingest_log WHERE article_platform_id = $1 ORDER BY id DESC LIMIT $2`,
            [options.platformId, options.limit],
          );
    return rows.map(lineOf);
  }

  /** Runs `body` in a transaction holding the story's lock; a duplicate event id rolls it back. */
  private async write(
    eventId: string,
    platformId: string,
    body: (tx: EntityManager) => Promise<WriteResult>,
  ): Promise<WriteResult> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
          `article:${platformId}`,
        ]);
        const seen = await tx.query<unknown[]>(
          `SELECT 1 FROM ingest_log WHERE event_id = $1 AND outcome IN ${FINAL_OUTCOMES} LIMIT 1`,
          [eventId],
        );
        if (seen.length > 0) return { kind: 'duplicate' };
        return body(tx);
      });
    } catch (error) {
      if (violatedUniqueConstraint(error) === EFFECT_KEY) return { kind: 'duplicate' };
      throw error;
    }
  }

  private async lockedState(
    tx: EntityManager,
    platformId: string,
  ): Promise<(StoredState & { id: string }) | null> {
    const rows = await tx.query<StoredRow[]>(
      `SELECT id, source_updated_at, content_hash, deleted_at FROM articles
        WHERE platform_id = $1 FOR UPDATE`,
      [platformId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      id: row.id,
      sourceUpdatedAt: row.source_updated_at,
      contentHash: row.content_hash,
      deletedAt: row.deleted_at,
    };
  }

  private async deletedIn(manager: EntityManager, platformId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM ingest_log
        WHERE article_platform_id = $1 AND event_type = 'article.deleted' AND outcome = 'applied'
        LIMIT 1`,
      [platformId],
    );
    return rows.length > 0;
  }

  private async writeArticle(
    tx: EntityManager,
    cmd: ResolvedUpsert,
    existingId: string | null,
  ): Promise<string> {
    const a = cmd.article;
    const values = [
      a.platformId,
      a.url,
      a.title,
      a.subtitle,
      a.contentHtml,
      a.excerpt,
      a.language,
      JSON.stringify(a.tags),
      a.coverImage === null ? null : JSON.stringify(a.coverImage),
      a.visibility,
      a.contentWarning,
      a.commentsEnabled,
      cmd.authorIds[0],
      JSON.stringify(cmd.authorIds),
      cmd.publicationId,
      cmd.contentHash,
      a.publishedAt,
      a.updatedAt,
      cmd.eventId,
    ];
    if (existingId === null) {
      const rows = await tx.query<{ id: string }[]>(
        `INSERT INTO articles (platform_id, canonical_url, title, subtitle, content_html, excerpt,
           language, tags, cover_image, visibility, content_warning, comments_enabled,
           primary_author_id, author_ids, publication_id, content_hash, published_at,
           source_updated_at, last_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         RETURNING id`,
        values,
      );
      const id = rows[0]?.id;
      if (id === undefined) throw new Error(`insert of article ${a.platformId} returned no id`);
      return id;
    }
    await tx.query(
      `UPDATE articles SET canonical_url = $2, title = $3, subtitle = $4, content_html = $5,
         excerpt = $6, language = $7, tags = $8, cover_image = $9, visibility = $10,
         content_warning = $11, comments_enabled = $12, primary_author_id = $13, author_ids = $14,
         publication_id = $15, content_hash = $16, published_at = $17, source_updated_at = $18,
         last_event_id = $19, modified_at = now()
       WHERE platform_id = $1`,
      values,
    );
    return existingId;
  }

  private async insertChange(
    tx: EntityManager,
    articleId: string,
    change: ArticleChangeKind,
    eventId: string,
  ): Promise<string> {
    const rows = await tx.query<{ id: string }[]>(
      `INSERT INTO article_changes (article_id, change, event_id) VALUES ($1, $2, $3) RETURNING id`,
      [articleId, change, eventId],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error(`insert of a change of ${articleId} returned no id`);
    return id;
  }

  private async insertLog(manager: EntityManager, line: LogLine): Promise<void> {
    await manager.query(
      `INSERT INTO ingest_log (event_id, source, origin, event_type, article_platform_id, outcome,
         reason, message, problems, change_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        line.eventId,
        line.source,
        line.origin,
        line.eventType,
        line.articlePlatformId,
        line.outcome,
        line.reason ?? null,
        truncate(line.message ?? null, 2000),
        line.problems == null ? null : JSON.stringify(line.problems.slice(0, 50)),
        line.changeId ?? null,
      ],
    );
  }
}

const LOG_COLUMNS = `id, event_id, source, origin, event_type, article_platform_id, outcome, reason,
  message, problems, change_id, received_at`;

interface LogRow {
  id: string;
  event_id: string | null;
  source: IngestSource;
  origin: string | null;
  event_type: string | null;
  article_platform_id: string | null;
  outcome: IngestOutcomeKind;
  reason: string | null;
  message: string | null;
  problems: Problem[] | null;
  change_id: string | null;
  received_at: Date;
}

function lineOf(r: LogRow): LoggedLine {
  return {
    id: r.id,
    eventId: r.event_id,
    source: r.source,
    origin: r.origin,
    eventType: r.event_type,
    articlePlatformId: r.article_platform_id,
    outcome: r.outcome,
    reason: r.reason,
    message: r.message,
    problems: r.problems,
    changeId: r.change_id,
    receivedAt: r.received_at,
  };
}

function truncate(value: string | null, max: number): string | null {
  return value !== null && value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
