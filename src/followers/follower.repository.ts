import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeKeysetCursor, encodeKeysetCursor, isParsableTime } from '../common/keyset-cursor.js';
import type { Follower, NewFollower } from './follower.js';
import { isAcceptableInboxUrl } from './inbox-url.js';

interface FollowerRow {
  actor_id: string;
  follower_uri: string;
  inbox_url: string;
  shared_inbox_url: string | null;
  host: string;
  follow_activity_id: string | null;
  created_at: Date;
}

const COLUMNS =
  'actor_id, follower_uri, inbox_url, shared_inbox_url, host, follow_activity_id, created_at';

/** Followers of our actors. */
@Injectable()
export class FollowerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Inserts or refreshes a follower; `created` is false for a repeated Follow. */
  async upsert(follower: NewFollower): Promise<{ created: boolean }> {
    const rows = await this.db.query<{ created: boolean }[]>(
      `INSERT INTO followers (actor_id, follower_uri, inbox_url, shared_inbox_url, host, follow_activity_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (actor_id, follower_uri) DO UPDATE
          SET inbox_url = EXCLUDED.inbox_url,
              shared_inbox_url = EXCLUDED.shared_inbox_url,
              host = EXCLUDED.host,
              follow_activity_id = EXCLUDED.follow_activity_id,
              updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [
        follower.actorId,
        follower.followerUri,
        follower.inboxUrl,
        follower.sharedInboxUrl,
        hostOf(follower.followerUri),
        follower.followActivityId,
      ],
    );
    return { created: rows[0]?.created ?? false };
  }

  /** Removes one follow; returns whether there was one. */
  async remove(actorId: string, followerUri: string): Promise<boolean> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM followers WHERE actor_id = $1 AND follower_uri = $2',
      [actorId, followerUri],
    );
    return count > 0;
  }

  /** Removes the follow created by Follow `followId` of `followerUri`; whether there was one. */
  async removeByFollowId(followerUri: string, followId: string): Promise<boolean> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM followers WHERE follower_uri = $1 AND follow_activity_id = $2',
      [followerUri, followId],
    );
    return count > 0;
  }

  /** Removes a remote actor from every follower list; returns how many rows went. */
  async removeEverywhere(followerUri: string): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM followers WHERE follower_uri = $1',
      [followerUri],
    );
    return count;
  }

  /** Whether the remote actor follows any of our actors. */
  async isKnown(followerUri: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      'SELECT 1 FROM followers WHERE follower_uri = $1 LIMIT 1',
      [followerUri],
    );
    return rows.length > 0;
  }

  /** Follows held by `followerUri`, for Move. */
  async followsOf(followerUri: string): Promise<Follower[]> {
    const rows = await this.db.query<FollowerRow[]>(
      `SELECT ${COLUMNS} FROM followers WHERE follower_uri = $1`,
      [followerUri],
    );
    return rows.map(toFollower);
  }

  async count(actorId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM followers WHERE actor_id = $1',
      [actorId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * One page of followers, oldest first, keyed by (created_at, follower_uri) after `cursor`.
   * Returns the page and the cursor of its last item when more may follow.
   */
  async page(
    actorId: string,
    cursor: string | null,
    limit: number,
  ): Promise<{ items: Follower[]; next: string | null }> {
    const after =
      cursor === null
        ? null
        : decodeKeysetCursor(cursor, { time: isParsableTime, key: () => true });
    const rows = await this.db.query<FollowerRow[]>(
      `SELECT ${COLUMNS} FROM followers
        WHERE actor_id = $1
          AND ($2::timestamptz IS NULL
               OR (date_trunc('milliseconds', created_at), follower_uri) > ($2::timestamptz, $3::text))
        ORDER BY date_trunc('milliseconds', created_at), follower_uri
        LIMIT $4`,
      [actorId, after?.time ?? null, after?.key ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toFollower);
    const last = items.at(-1);
    return {
      items,
      next:
        rows.length > limit && last !== undefined
          ? encodeKeysetCursor(last.createdAt.toISOString(), last.followerUri)
          : null,
    };
  }

  /** Every (inbox) recipient of an actor's followers, for sending to all of them. */
  async recipients(actorId: string): Promise<Follower[]> {
    const rows = await this.db.query<FollowerRow[]>(
      `SELECT ${COLUMNS} FROM followers WHERE actor_id = $1 ORDER BY created_at`,
      [actorId],
    );
    return rows.map(toFollower);
  }

  /**
   * The distinct inboxes behind the followers of `actorIds`: a follower's server's shared inbox
   * when it has one, else the follower's own. A server with many followers of several of these
   * actors appears once.
   */
  async inboxes(actorIds: readonly string[]): Promise<string[]> {
    if (actorIds.length === 0) return [];
    const rows = await this.db.query<{ inbox: string }[]>(
      `SELECT DISTINCT COALESCE(shared_inbox_url, inbox_url) AS inbox
         FROM followers WHERE actor_id = ANY($1::uuid[])`,
      [actorIds],
    );
    // Rows stored before inbox URLs were checked at Follow time are skipped, not sent to.
    return rows.map((r) => r.inbox).filter(isAcceptableInboxUrl);
  }

  /**
   * Removes every follower reached through `inbox` (their own inbox or their server's shared
   * one), after that inbox answered 410 Gone; returns how many follow rows went.
   */
  async removeAtInbox(inbox: string): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(
      'DELETE FROM followers WHERE inbox_url = $1 OR shared_inbox_url = $1',
      [inbox],
    );
    return count;
  }

  /** Total follow rows, for NodeInfo-style statistics. */
  async total(): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM followers');
    return rows[0]?.n ?? 0;
  }
}

function toFollower(row: FollowerRow): Follower {
  return {
    actorId: row.actor_id,
    followerUri: row.follower_uri,
    inboxUrl: row.inbox_url,
    sharedInboxUrl: row.shared_inbox_url,
    host: row.host,
    followActivityId: row.follow_activity_id,
    createdAt: row.created_at,
  };
}

function hostOf(uri: string): string {
  return new URL(uri).host.toLowerCase();
}
