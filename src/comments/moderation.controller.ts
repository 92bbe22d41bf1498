import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { ActorsService } from '../actors/actors.service.js';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import type { ModerationMode } from './comment.entity.js';
import { CommentRepository } from './comment.repository.js';
import { type CommentView, viewOf } from './comment-view.js';
import type { ModerationPolicy } from './moderation.js';
import { type ModerationBlock, ModerationRepository } from './moderation.repository.js';

const MODES: readonly ModerationMode[] = ['auto', 'hold_all', 'hold_first_time'];
const MAX_KEYWORDS = 500;
const PENDING_LIMIT = 200;

const COMMENT_ID = {
  name: 'id',
  description: "The comment's id.",
  schema: { type: 'string', format: 'uuid' },
} as const;
const DECISION_ERRORS = {
  400: 'The id is not a UUID.',
  404: 'No such comment (`not_found`).',
  409: 'Its author deleted it (`comment_removed`).',
};
const PUBLICATION_ID = {
  name: 'platformId',
  description: "The platform's id of the publication.",
} as const;
const BLOCK_BODY_ERROR =
  'The body is not a block: `kind` `domain` or `actor`, `value` a host name or an actor id ' +
  '(`invalid_block`).';

/**
 * Moderation (scope `comments:write`; blocks need `admin`):
 * - `GET /api/v1/comments/pending`: held replies of every story, oldest first;
 * - `POST /api/v1/comments/{id}/approve` and `/reject`;
 * - `GET`/`PUT /api/v1/publications/{platformId}/moderation`: `{mode, keywords}`;
 * - `GET /api/v1/blocks`, `PUT`/`DELETE /api/v1/blocks` with `{kind: "domain"|"actor", value}`:
 *   a block refuses the actor's or domain's replies, edits, likes and boosts from then on, and
 *   rejects the comments already stored.
 */
@Controller('api/v1')
@UseGuards(ApiAuthGuard)
@ApiTag('Moderation')
export class ModerationController {
  constructor(
    private readonly comments: CommentRepository,
    private readonly moderation: ModerationRepository,
    private readonly actors: ActorsService,
  ) {}

  @Get('comments/pending')
  @ApiEndpoint({
    summary: 'Held comments',
    description: `Held replies of every story, oldest first (at most ${PENDING_LIMIT}).`,
    scopes: ['comments:write'],
  })
  @ApiOkResponse({ description: 'The held comments.', schema: ref('CommentList') })
  async pending(): Promise<{ comments: CommentView[] }> {
    return { comments: (await this.comments.pending(PENDING_LIMIT)).map(viewOf) };
  }

  @Post('comments/:id/approve')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Approve a comment',
    description: 'It shows under the story from then on, and `comment.approved` is sent.',
    scopes: ['comments:write'],
    errors: DECISION_ERRORS,
  })
  @ApiParam(COMMENT_ID)
  @ApiOkResponse({ description: 'Approved.', schema: ref('ModerationDecision') })
  approve(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ id: string; status: string }> {
    return this.setStatus(id, 'approved');
  }

  @Post('comments/:id/reject')
  @HttpCode(200)
  @ApiEndpoint({
    summary: 'Reject a comment',
    description: 'It no longer shows, and `comment.deleted` is sent.',
    scopes: ['comments:write'],
    errors: DECISION_ERRORS,
  })
  @ApiParam(COMMENT_ID)
  @ApiOkResponse({ description: 'Rejected.', schema: ref('ModerationDecision') })
  reject(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ id: string; status: string }> {
    return this.setStatus(id, 'rejected');
  }

  @Get('publications/:platformId/moderation')
  @ApiEndpoint({
    summary: "A publication's moderation policy",
    description: 'Without a policy set, `{ "mode": "auto", "keywords": [] }`.',
    scopes: ['comments:write'],
    errors: { 404: 'No such publication (`not_found`).' },
  })
  @ApiParam(PUBLICATION_ID)
  @ApiOkResponse({ description: 'The policy.', schema: ref('ModerationPolicy') })
  async policy(@Param('platformId') platformId: string): Promise<ModerationPolicy> {
    return this.moderation.policyOf(await this.publicationId(platformId));
  }

  @Put('publications/:platformId/moderation')
  @ApiEndpoint({
    summary: "Set a publication's moderation policy",
    description:
      '`mode`: `auto` approves, `hold_all` holds every reply, `hold_first_time` holds the reply ' +
      'of anyone without an approved comment yet. A reply containing one of `keywords` is held ' +
      'whatever the mode. Applies to replies that arrive from then on.',
    scopes: ['comments:write'],
    errors: {
      400: 'Not a policy (`invalid_policy`).',
      404: 'No such publication (`not_found`).',
    },
  })
  @ApiParam(PUBLICATION_ID)
  @ApiBody({ schema: ref('ModerationPolicy') })
  @ApiOkResponse({ description: 'The policy as stored.', schema: ref('ModerationPolicy') })
  async setPolicy(
    @Param('platformId') platformId: string,
    @Body() body: unknown,
  ): Promise<ModerationPolicy> {
    const policy = policyFrom(body);
    await this.moderation.setPolicy(await this.publicationId(platformId), policy);
    return policy;
  }

  @Get('blocks')
  @ApiEndpoint({
    summary: 'Domain and actor blocks',
    scopes: ['admin'],
  })
  @ApiOkResponse({ description: 'Every block.', schema: ref('BlockList') })
  async blocks(): Promise<{ blocks: ModerationBlock[] }> {
    return { blocks: await this.moderation.blocks() };
  }

  @Put('blocks')
  @ApiEndpoint({
    summary: 'Block a domain or an actor',
    description:
      "The actor's, or the domain's (subdomains included), replies, edits, likes, boosts and " +
      'follows are refused from then on; its stored comments are rejected and its follows ' +
      'dropped.',
    scopes: ['admin'],
    errors: { 400: BLOCK_BODY_ERROR },
  })
  @ApiBody({ schema: ref('BlockRequest') })
  @ApiOkResponse({ description: 'Blocked.', schema: ref('BlockResult') })
  async block(@Body() body: unknown): Promise<{ blocked: boolean; commentsHidden: number }> {
    const { kind, value, reason } = blockFrom(body);
    return { blocked: true, commentsHidden: await this.moderation.block(kind, value, reason) };
  }

  @Delete('blocks')
  @ApiEndpoint({
    summary: 'Lift a block',
    description:
      'Takes `{kind, value}` as the body. What the block rejected or dropped stays as it is.',
    scopes: ['admin'],
    errors: { 400: BLOCK_BODY_ERROR, 404: 'No such block (`not_found`).' },
  })
  @ApiBody({ schema: ref('BlockRequest') })
  @ApiOkResponse({ description: 'Lifted.', schema: ref('UnblockResult') })
  async unblock(@Body() body: unknown): Promise<{ blocked: boolean }> {
    const { kind, value } = blockFrom(body);
    if (!(await this.moderation.unblock(kind, value))) {
      throw new NotFoundException({ error: 'not_found', message: `no block of ${kind} ${value}` });
    }
    return { blocked: false };
  }

  private async setStatus(
    id: string,
    status: 'approved' | 'rejected',
  ): Promise<{ id: string; status: string }> {
    const result = await this.moderation.setStatus(id, status);
    if (result === 'not_found') {
      throw new NotFoundException({ error: 'not_found', message: `no comment ${id}` });
    }
    if (result !== status) {
      throw new ConflictException({
        error: 'comment_removed',
        message: `comment ${id} was deleted by its author`,
      });
    }
    return { id, status };
  }

  private async publicationId(platformId: string): Promise<string> {
    const publication = await this.actors.findByPlatformId('publication', platformId);
    if (publication === null) {
      throw new NotFoundException({ error: 'not_found', message: `no publication ${platformId}` });
    }
    return publication.id;
  }
}

function policyFrom(body: unknown): ModerationPolicy {
  const { mode, keywords } = (typeof body === 'object' && body !== null ? body : {}) as {
    mode?: unknown;
    keywords?: unknown;
  };
  if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode)) {
    throw new BadRequestException({
      error: 'invalid_policy',
      message: `mode must be one of ${MODES.join(', ')}`,
    });
  }
  const list = keywords ?? [];
  if (
    !Array.isArray(list) ||
    list.length > MAX_KEYWORDS ||
    !list.every((k): k is string => typeof k === 'string' && k.trim() !== '' && k.length <= 200)
  ) {
    throw new BadRequestException({
      error: 'invalid_policy',
      message: `keywords must be an array of at most ${MAX_KEYWORDS} non-empty strings (≤ 200 characters)`,
    });
  }
  return {
    mode: mode as ModerationMode,
    keywords: [...new Set(list.map((k) => k.trim().toLowerCase()))],
  };
}

function blockFrom(body: unknown): {
  kind: 'domain' | 'actor';
  value: string;
  reason: string | null;
} {
  const { kind, value, reason } = (typeof body === 'object' && body !== null ? body : {}) as {
    kind?: unknown;
    value?: unknown;
    reason?: unknown;
  };
  const problem = (message: string) => new BadRequestException({ error: 'invalid_block', message });
  if (kind !== 'domain' && kind !== 'actor') throw problem('kind must be "domain" or "actor"');
  if (typeof value !== 'string' || value.trim() === '' || value.length > 2048) {
    throw problem('value must be a domain name or an actor id');
  }
  if (kind === 'domain' && !/^[a-z0-9.-]+$/i.test(value)) {
    throw problem('a domain is a host name, without scheme or port: mastodon.example');
  }
  if (kind === 'actor' && !URL.canParse(value)) throw problem('an actor is its id, an https URL');
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    throw problem('reason must be a string');
  }
  return { kind, value: value.trim(), reason: reason ?? null };
}
