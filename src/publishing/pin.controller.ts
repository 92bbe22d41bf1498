import {
  ConflictException,
  Controller,
  Delete,
  NotFoundException,
  Param,
  Put,
  UseGuards,
} from '@nestjs/common';
import { ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import type { Article } from '../articles/article.js';
import { ArticleRepository, type PinResult } from '../articles/article.repository.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';

const PIN_ERRORS = {
  404: 'The bridge never had this story (`not_found`).',
  409: 'The story was deleted (`article_deleted`).',
};

/** What the pin calls answer with 200. */
export interface PinView {
  readonly platformId: string;
  readonly pinned: boolean;
  readonly pinnedAt: string | null;
}

/**
 * Pinned stories (scope `ingest`): a pinned story is listed in the featured collection of each of
 * its authors and of its publication, which Mastodon-like servers show as pinned posts.
 *
 * - `PUT /api/v1/articles/{platformId}/pin` pins it (again: keeps the first `pinnedAt`);
 * - `DELETE /api/v1/articles/{platformId}/pin` unpins it (again: changes nothing).
 *
 * 404 for a story the bridge never had; 409 for a deleted one. No Add/Remove activity is sent
 * yet: servers see the change when they next fetch the collection.
 */
@Controller('api/v1/articles')
@UseGuards(ApiAuthGuard)
@ApiTag('Articles')
export class PinController {
  constructor(private readonly articles: ArticleRepository) {}

  @Put(':platformId/pin')
  @ApiEndpoint({
    summary: 'Pin a story',
    description:
      'Lists the story in the featured collection of each of its authors and of its publication. ' +
      'Pinning it again keeps the first `pinnedAt`.',
    scopes: ['ingest'],
    errors: PIN_ERRORS,
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the story." })
  @ApiOkResponse({ description: 'Pinned.', schema: ref('Pin') })
  async pin(@Param('platformId') platformId: string): Promise<PinView> {
    return viewOf(platformId, await this.articles.setPinned(platformId, true));
  }

  @Delete(':platformId/pin')
  @ApiEndpoint({
    summary: 'Unpin a story',
    description: 'Unpinning a story that is not pinned changes nothing.',
    scopes: ['ingest'],
    errors: PIN_ERRORS,
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the story." })
  @ApiOkResponse({ description: 'Unpinned.', schema: ref('Pin') })
  async unpin(@Param('platformId') platformId: string): Promise<PinView> {
    return viewOf(platformId, await this.articles.setPinned(platformId, false));
  }
}

function viewOf(platformId: string, result: PinResult): PinView {
  if (!result.ok) {
    switch (result.reason) {
      case 'not_found':
        throw new NotFoundException({ error: 'not_found', message: `no story ${platformId}` });
      case 'deleted':
        throw new ConflictException({
          error: 'article_deleted',
          message: `story ${platformId} was deleted; its pin cannot change`,
        });
    }
  }
  return view(result.article);
}

function view(article: Article): PinView {
  return {
    platformId: article.platformId,
    pinned: article.pinnedAt !== null,
    pinnedAt: article.pinnedAt?.toISOString() ?? null,
  };
}
