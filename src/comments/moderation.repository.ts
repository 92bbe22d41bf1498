import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { CommentStatus } from './comment.js';
import type { ModerationMode } from './comment.entity.js';
import { blockKey, isBlockedBy, DEFAULT_POLICY, type ModerationPolicy } from './moderation.js';

/** A block as the API shows it. */
export interface ModerationBlock {
  readonly kind: 'domain' | 'actor';
  readonly value: string;
  readonly reason: string | null;
  readonly createdAt: string;
}

/** How long the in-memory list of blocks may be old. */
const BLOCKS_TTL_MS = 5_000;

/** Policies, blocks, and the status changes moderators make. */
@Injectable()
export class ModerationRepository {
  #blocks: { at: number; keys: Promise<Set<string>> } | null = null;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async policyOf(publicationId: string | null): Promise<ModerationPolicy> {
    if (publicationId === null) return DEFAULT_POLICY;
    const rows = await this.db.query<{ mode: ModerationMode; keywords: string[] }[]>(
      'SELECT mode, keywords FROM moderation_policies WHERE publication_id = $1',
      [publicationId],
    );
    return rows[0] ?? DEFAULT_POLICY;
  }

  async setPolicy(publicationId: string, policy: ModerationPolicy): Promise<void> {
    await this.db.query(
      `INSERT INTO moderation_policies (publication_id, mode, keywords) VALUES ($1, $2, $3)
       ON CONFLICT (publication_id) DO UPDATE
          SET mode = EXCLUDED.mode, keywords = EXCLUDED.keywords, updated_at = now()`,
      [publicationId, policy.mode, policy.keywords],
    );
  }

  /** Whether the author has an approved comment anywhere (not a first-time commenter). */
  async hasApproved(authorActorId: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `SELECT 1 FROM comments WHERE author_actor_id = $1 AND status = 'approved' LIMIT 1`,
      [authorActorId],
    );
    return rows.length > 0;
  }

  /** Whether an actor, or its domain, is blocked (a cached view, at most 5 s old). */
  async isBlocked(actorId: string): Promise<boolean> {
    return isBlockedBy(await this.blockKeys(), actorId);
  }

  /**
   * Blocks a domain (and its subdomains) or an actor: hides its comments and drops its follows
   * of our actors; returns how many comments were hidden.
   */
  async block(kind: 'domain' | 'actor', value: string, reason: string | null): Promise<number> {
    const key = blockKey(kind, value);
    const hidden = await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO moderation_blocks (key, kind, value, reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET reason = EXCLUDED.reason`,
        [key, kind, kind === 'domain' ? value.toLowerCase() : value, reason],
      );
      const [, count] = await tx.query<[unknown, number]>(
        `UPDATE comments SET status = 'rejected', updated_at = now()
          WHERE status IN ('approved', 'pending')
            AND (CASE WHEN $1 = 'domain' THEN ${inDomain("split_part(author_host, ':', 1)")}
                      ELSE author_actor_id = $2 END)`,
        [kind, value],
      );
      // Nothing is delivered to them any more either.
      await tx.query(
        `DELETE FROM followers
          WHERE CASE WHEN $1 = 'domain'
                     THEN ${inDomain("lower(substring(follower_uri from '^[a-zA-Z]+://([^/:?#]+)'))")}
                     ELSE follower_uri = $2 END`,
        [kind, value],
      );
      return count;
    });
    this.#blocks = null;
    return hidden;
  }

  /** Lifts a block (hidden comments stay as they are); whether there was one. */
  async unblock(kind: 'domain' | 'actor', value: string): Promise<boolean> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM moderation_blocks WHERE key = $1',
      [blockKey(kind, value)],
    );
    this.#blocks = null;
    return count > 0;
  }

  async blocks(): Promise<ModerationBlock[]> {
    const rows = await this.db.query<
      { kind: 'domain' | 'actor'; value: string; reason: string | null; created_at: Date }[]
    >('SELECT kind, value, reason, created_at FROM moderation_blocks ORDER BY created_at DESC');
    return rows.map((r) => ({
      kind: r.kind,
      value: r.value,
      reason: r.reason,
      createdAt: r.created_at.toISOString(),
    }));
  }

  /**
   * Approves or rejects a comment that is not removed; returns its new status, or why not:
   * `not_found`, or `removed` (its author deleted it).
   */
  async setStatus(
    id: string,
    status: Extract<CommentStatus, 'approved' | 'rejected'>,
  ): Promise<CommentStatus | 'not_found'> {
    const [rows] = await this.db.query<[{ status: CommentStatus }[], number]>(
      `UPDATE comments SET status = $2, updated_at = now()
        WHERE id = $1 AND status <> 'removed'
        RETURNING status`,
      [id, status],
    );
    if (rows[0] !== undefined) return rows[0].status;
    const found = await this.db.query<{ status: CommentStatus }[]>(
      'SELECT status FROM comments WHERE id = $1',
      [id],
    );
    return found[0]?.status ?? 'not_found';
  }

  private blockKeys(): Promise<Set<string>> {
    if (this.#blocks === null || Date.now() - this.#blocks.at > BLOCKS_TTL_MS) {
      const keys = this.db
        .query<{ key: string }[]>('SELECT key FROM moderation_blocks')
        .then((rows) => new Set(rows.map((r) => r.key)));
      this.#blocks = { at: Date.now(), keys };
      keys.catch(() => {
        this.#blocks = null;
      });
    }
    return this.#blocks.keys;
  }
}

/** SQL: the host expression `host` is domain `$2` or one of its subdomains. */
function inDomain(host: string): string {
  return `(${host} = lower($2) OR right(${host}, length($2) + 1) = '.' || lower($2))`;
}
