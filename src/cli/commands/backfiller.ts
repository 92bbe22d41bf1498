import { Injectable } from '@nestjs/common';
import { Publisher } from '../../publishing/publisher.js';

/** What backfilling one story came to. */
export type BackfillResult =
  | { readonly outcome: 'backfilled'; readonly activities: number }
  | { readonly outcome: 'skipped'; readonly reason: string };

/**
 * Records stories as published without sending them, through the publisher itself
 * ({@link Publisher.backfill}: the same rendering, hash, activities and lock as a real publish,
 * with no deliveries), so a later publish job of an unchanged story finds nothing to do.
 */
@Injectable()
export class Backfiller {
  constructor(private readonly publisher: Publisher) {}

  async backfill(articleId: string): Promise<BackfillResult> {
    const result = await this.publisher.backfill(articleId);
    return result.action === 'created'
      ? { outcome: 'backfilled', activities: result.activityIds.length }
      : { outcome: 'skipped', reason: 'reason' in result ? result.reason : result.action };
  }
}
