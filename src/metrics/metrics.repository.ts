import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { CommentStatus } from '../comments/comment.js';

const STATUSES: readonly CommentStatus[] = ['pending', 'approved', 'rejected', 'removed'];

/** The database readings exposed as metrics. */
@Injectable()
export class MetricsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stored comments per moderation status; every status is present, 0 when none has it. */
  async commentsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; count: number }[]>(
      'SELECT status, count(*)::int AS count FROM comments GROUP BY status',
    );
    const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const { status, count } of rows) counts[status] = count;
    return counts;
  }
}
