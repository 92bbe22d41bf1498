import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiQuery } from '@nestjs/swagger';
import { ArticleRepository } from '../articles/article.repository.js';
import { type ApiPrincipal, ApiAuthGuard, Principal } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { CommentRepository } from './comment.repository.js';
import { type CommentView, viewOf } from './comment-view.js';

const DEFAULT_LIMIT = 50;
/** Actors listed per kind of interaction. */
const RECENT_ACTORS = 20;

/** A story's fediverse engagement. */
export interface ArticleEngagementView {
  readonly platformId: string;
  readonly articleId: string;
  readonly url: string;
  readonly deleted: boolean;
  readonly likes: number;
  readonly boosts: number;
  /** Shown comments (approved, public or unlisted). */
  readonly comments: number;
  /** Actor ids of the most recent likes and boosts, newest first. */
  readonly likedBy: readonly string[];
  readonly boostedBy: readonly string[];
}
const MAX_LIMIT = 200;

/**
 * `GET /api/v1/articles/{platformId}/comments` (scope `comments:read`): the story's replies from
 * the fediverse, oldest first, each with its `parentId` so the platform can thread them; cursor
 * paging (`cursor`, `limit` ≤ 200). Only approved public and unlisted replies, unless the token
 * has `admin`, which sees every stored reply with its status and visibility.
 */
@Controller('api/v1/articles')
@UseGuards(ApiAuthGuard)
export class CommentsController {
  constructor(
    private readonly articles: ArticleRepository,
    private readonly comments: CommentRepository,
  ) {}

  /**
   * `GET /api/v1/articles/{platformId}` (scope `comments:read`): the story's fediverse
   * engagement — likes and boosts with the most recent actors of each, and shown comments.
   */
  @Get(':platformId')
  @ApiEndpoint({
    summary: "A story's fediverse engagement",
    description:
      `Likes and boosts, each with the actor ids of the ${RECENT_ACTORS} most recent (newest ` +
      'first), and the ' +
      'number of shown comments.',
    scopes: ['comments:read'],
    errors: { 404: 'No such story (`not_found`).' },
  })
  @ApiTag('Articles')
  @ApiParam({ name: 'platformId', description: "The platform's id of the story." })
  @ApiOkResponse({ description: 'The engagement.', schema: ref('ArticleEngagement') })
  async get(@Param('platformId') platformId: string): Promise<ArticleEngagementView> {
    const article = await this.articles.findByPlatformId(platformId);
    if (article === null) {
      throw new NotFoundException({ error: 'not_found', message: `no story ${platformId}` });
    }
    const interactions = await this.comments.interactions(article.id, RECENT_ACTORS);
    // The count is over all shown comments (a window function), whatever the limit.
    const shown = await this.comments.shownIds(article.id, false, 1);
    return {
      platformId,
      articleId: article.id,
      url: article.url,
      deleted: article.deletedAt !== null,
      likes: interactions.likes,
      boosts: interactions.boosts,
      comments: shown.total,
      likedBy: interactions.likedBy,
      boostedBy: interactions.boostedBy,
    };
  }

  @Get(':platformId/comments')
  @ApiEndpoint({
    summary: "A story's comments",
    description:
      "The story's replies from the fediverse, oldest first, each with `parentId` and `depth` to " +
      'thread them. Only approved public and unlisted replies, unless the token has `admin`, ' +
      'which sees every stored reply with its status and visibility.',
    scopes: ['comments:read'],
    errors: {
      400: `\`limit\` is not an integer from 1 to ${MAX_LIMIT} (\`invalid_limit\`).`,
      404: 'No such story (`not_found`).',
    },
  })
  @ApiTag('Comments')
  @ApiParam({ name: 'platformId', description: "The platform's id of the story." })
  @ApiQuery({ name: 'cursor', required: false, description: '`next` of the previous page.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  })
  @ApiOkResponse({ description: 'A page of comments.', schema: ref('CommentPage') })
  async list(
    @Param('platformId') platformId: string,
    @Principal() principal: ApiPrincipal,
    @Query('cursor') cursor?: string,
    @Query('limit') rawLimit?: string,
  ): Promise<{ platformId: string; comments: CommentView[]; next: string | null }> {
    const limit = rawLimit === undefined ? DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new BadRequestException({
        error: 'invalid_limit',
        message: `limit must be an integer from 1 to ${MAX_LIMIT}`,
      });
    }
    const article = await this.articles.findByPlatformId(platformId);
    if (article === null) {
      throw new NotFoundException({ error: 'not_found', message: `no story ${platformId}` });
    }
    const page = await this.comments.page(article.id, {
      cursor: cursor ?? null,
      limit,
      all: principal.scopes.has('admin'),
    });
    return { platformId, comments: page.items.map(viewOf), next: page.next };
  }
}
