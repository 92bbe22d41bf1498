import { Controller, Get, Inject, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { attributionDomains } from '../actors/attribution-domains.js';
import { ActorsService } from '../actors/actors.service.js';
import { ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { type AttributionView, attributionView } from './attribution.js';

/**
 * Author attribution on Mastodon link cards (scope `ingest`): the `fediverse:creator` meta tag
 * the platform puts on an author's story pages, and the domains where it counts.
 */
@Controller('api/v1/authors')
@UseGuards(ApiAuthGuard)
@ApiTag('Actors')
export class AttributionController {
  constructor(
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':platformId/attribution')
  @ApiEndpoint({
    summary: "An author's `fediverse:creator` meta tag",
    description:
      "The meta tag the platform puts on the author's story pages for Mastodon's byline on " +
      'link cards, and the domains where it counts.',
    scopes: ['ingest'],
    errors: { 404: 'No such author (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the author." })
  @ApiOkResponse({ description: 'The attribution advice.', schema: ref('Attribution') })
  async get(@Param('platformId') platformId: string): Promise<AttributionView> {
    const author = await this.actors.findByPlatformId('author', platformId);
    if (author === null) {
      throw new NotFoundException({
        error: 'not_found',
        message: `no author ${platformId}: create it first (PUT /api/v1/authors/… or an article event)`,
      });
    }
    return attributionView(
      this.config.publicUrl,
      author,
      await attributionDomains(this.actors, author),
    );
  }
}
