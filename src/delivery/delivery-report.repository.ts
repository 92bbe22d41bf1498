import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DeliveryStatus, OutboundActivityType } from './delivery.entity.js';

/** Deliveries by status. */
export type DeliveryCounts = Record<DeliveryStatus, number>;

/** One activity sent about a story, with how its deliveries stand. */
export interface ActivityDeliveries {
  /** The activity's ActivityPub id. */
  readonly uri: string;
  readonly type: OutboundActivityType;
  /** Internal id of our actor that sent it. */
  readonly actorId: string;
  readonly createdAt: Date;
  /** How many inboxes it was addressed to. */
  readonly recipients: number;
  readonly counts: DeliveryCounts;
}

/** A remote host where deliveries about a story failed or are being retried. */
export interface HostFailures {
  readonly host: string;
  /** Deliveries given up. */
  readonly failed: number;
  /** Deliveries still pending after at least one failed attempt. */
  readonly pending: number;
  /** HTTP status of the host's latest failed attempt (null: no answer, e.g. a timeout). */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: Date;
}

/** How the deliveries of one story stand. */
export interface DeliveryReport {
  readonly totals: DeliveryCounts;
  /** Oldest first; sent together (one transaction), a Create before the Announce of it. */
  readonly activities: readonly ActivityDeliveries[];
  /** Most failures first, at most {@link MAX_FAILING_HOSTS}. */
  readonly failuresByHost: readonly HostFailures[];
}

/** How many hosts {@link DeliveryReport.failuresByHost} lists at most. */
export const MAX_FAILING_HOSTS = 100;

interface ActivityRow {
  uri: string;
  type: OutboundActivityType;
  actor_id: string;
  created_at: Date;
  recipients: number;
  delivered: number;
  pending: number;
  failed: number;
  skipped: number;
}

interface HostRow {
  host: string;
  failed: number;
  pending: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: Date;
}

/**
 * Read side of outbound activities and their deliveries, for the delivery report API. Counts are
 * aggregated in Postgres; nothing here writes.
 */
@Injectable()
export class DeliveryReportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The delivery report of the story with internal id `articleId`. */
  async forArticle(articleId: string): Promise<DeliveryReport> {
    // One snapshot for both queries, so that the host list agrees with the counts.
    const [activityRows, hostRows] = await this.db.transaction(
      'REPEATABLE READ',
      async (tx) =>
        [
          await tx.query<ActivityRow[]>(
            `SELECT a.uri, a.type, a.actor_id, a.created_at, a.recipients,
                count(d.id) FILTER (WHERE d.status = 'delivered')::int AS delivered,
                count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
                count(d.id) FILTER (WHERE d.status = 'failed')::int AS failed,
                count(d.id) FILTER (WHERE d.status = 'skipped')::int AS skipped
           FROM outbound_activities a
           LEFT JOIN deliveries d ON d.activity_id = a.id
          WHERE a.article_id = $1
          GROUP BY a.id
          ORDER BY a.created_at,
                   array_position(ARRAY['Create', 'Update', 'Delete', 'Announce'], a.type::text),
                   a.id`,
            [articleId],
          ),
          // The latest attempt of a host is its most recently updated failing delivery: status and
          // error are taken from that one row, so they belong together.
          await tx.query<HostRow[]>(
            `SELECT d.host,
                count(*) FILTER (WHERE d.status = 'failed')::int AS failed,
                count(*) FILTER (WHERE d.status = 'pending')::int AS pending,
                (array_agg(d.last_status ORDER BY d.updated_at DESC, d.id DESC))[1] AS last_status,
                (array_agg(d.last_error ORDER BY d.updated_at DESC, d.id DESC))[1] AS last_error,
                max(d.updated_at) AS last_attempt_at
           FROM deliveries d
           JOIN outbound_activities a ON a.id = d.activity_id
          WHERE a.article_id = $1
            AND (d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0))
          GROUP BY d.host
          ORDER BY failed DESC, pending DESC, last_attempt_at DESC, d.host
          LIMIT $2`,
            [articleId, MAX_FAILING_HOSTS],
          ),
        ] as const,
    );
    const activities = activityRows.map((r): ActivityDeliveries => ({
      uri: r.uri,
      type: r.type,
      actorId: r.actor_id,
      createdAt: r.created_at,
      recipients: r.recipients,
      counts: {
        delivered: r.delivered,
        pending: r.pending,
        failed: r.failed,
        skipped: r.skipped,
      },
    }));
    const totals: DeliveryCounts = { delivered: 0, pending: 0, failed: 0, skipped: 0 };
    for (const { counts } of activities) {
      totals.delivered += counts.delivered;
      totals.pending += counts.pending;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
    }
    return {
      totals,
      activities,
      failuresByHost: hostRows.map((r) => ({
        host: r.host,
        failed: r.failed,
        pending: r.pending,
        lastStatus: r.last_status,
        lastError: r.last_error,
        lastAttemptAt: r.last_attempt_at,
      })),
    };
  }
}
