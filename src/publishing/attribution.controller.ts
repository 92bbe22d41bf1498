import { Controller, Get, Inject, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { attributionDomains } from '../actors/attribution-domains.js';
import { ActorsService } from '../actors/actors.service.js';
import { ApiAuthGuard, RequireScopes } from '../auth/api-auth.guard.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { type AttributionView, attributionView } from './attribution.js';

/**
 * Author attribution on Mastodon link cards (scope `ingest`): the `fediverse:creator` meta tag
 * the platform puts on an author's story pages, and the domains where it counts.
 */
@Controller('api/v1/authors')
@UseGuards(ApiAuthGuard)
export class AttributionController {
  constructor(
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Get(':platformId/attribution')
  @RequireScopes('ingest')
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
