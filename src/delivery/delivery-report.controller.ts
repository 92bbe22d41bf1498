import { Controller, Get, Inject, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { actorUrl } from '../actors/actor-urls.js';
import { ArticleRepository } from '../articles/article.repository.js';
import { ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { type DeliveryCounts, DeliveryReportRepository } from './delivery-report.repository.js';

/** `GET /api/v1/articles/{platformId}/deliveries`. */
export interface DeliveryReportView {
  readonly platformId: string;
  /** The story's internal id (its ActivityPub id is `/articles/{articleId}`). */
  readonly articleId: string;
  readonly totals: DeliveryCounts;
  readonly activities: readonly {
    /** The activity's ActivityPub id. */
    readonly id: string;
    readonly type: string;
    /** Id of the actor that sent it. */
    readonly actor: string;
    readonly createdAt: string;
    readonly recipients: number;
    readonly counts: DeliveryCounts;
  }[];
  readonly failuresByHost: readonly {
    readonly host: string;
    readonly failed: number;
    readonly pending: number;
    readonly lastStatus: number | null;
    readonly lastError: string | null;
    readonly lastAttemptAt: string;
  }[];
}

/**
 * How a story's activities reached the fediverse (scope `ingest`): deliveries by status per
 * activity, and the hosts where they fail.
 */
@Controller('api/v1/articles')
@UseGuards(ApiAuthGuard)
@ApiTag('Articles')
export class DeliveryReportController {
  constructor(
    private readonly articles: ArticleRepository,
    private readonly reports: DeliveryReportRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':platformId/deliveries')
  @ApiEndpoint({
    summary: "How a story's activities reached the fediverse",
    description:
      'Delivery counts by status in total and per activity, and the hosts where deliveries fail.',
    scopes: ['ingest'],
    errors: { 404: 'No such story (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the story." })
  @ApiOkResponse({ description: 'The delivery report.', schema: ref('DeliveryReport') })
  async get(@Param('platformId') platformId: string): Promise<DeliveryReportView> {
    const article = await this.articles.findByPlatformId(platformId);
    if (article === null) {
      throw new NotFoundException({ error: 'not_found', message: `no story ${platformId}` });
    }
    const report = await this.reports.forArticle(article.id);
    return {
      platformId: article.platformId,
      articleId: article.id,
      totals: report.totals,
      activities: report.activities.map((a) => ({
        id: a.uri,
        type: a.type,
        actor: actorUrl(this.config.publicUrl, a.actorId).href,
        createdAt: a.createdAt.toISOString(),
        recipients: a.recipients,
        counts: a.counts,
      })),
      failuresByHost: report.failuresByHost.map((h) => ({
        host: h.host,
        failed: h.failed,
        pending: h.pending,
        lastStatus: h.lastStatus,
        lastError: h.lastError,
        lastAttemptAt: h.lastAttemptAt.toISOString(),
      })),
    };
  }
}
