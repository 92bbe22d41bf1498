import {
  Body,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Put,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiParam, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { jsonSchema, ref } from '../openapi/schemas.js';
import { validator, validOrThrow } from '../common/validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import type { Actor, ActorKind } from './actor.js';
import { authorProfileSchema, publicationProfileSchema } from './actor.schemas.js';
import { actorUrl, profilePageUrl } from './actor-urls.js';
import { ActorsService } from './actors.service.js';

const validAuthor = validator(authorProfileSchema);
const validPublication = validator(publicationProfileSchema);

/** An author or publication as the admin API shows it. */
export interface ActorView {
  readonly platformId: string;
  readonly kind: ActorKind;
  readonly handle: string;
  /** The fediverse address, `@handle@host`. */
  readonly acct: string;
  /** Also reachable at `@slug@customDomain` (publications with a custom domain). */
  readonly aliases: readonly string[];
  readonly actorId: string;
  readonly profilePage: string;
  readonly name: string;
  readonly summaryHtml: string;
  readonly avatarUrl: string | null;
  readonly headerUrl: string | null;
  readonly url: string | null;
  readonly links: readonly { name: string; url: string }[];
  readonly alsoKnownAs: readonly string[];
  readonly indexable: boolean;
  readonly customDomain: string | null;
  readonly members?: readonly string[];
  readonly publications?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Admin API for authors and publications (scope `admin`). Ingestion creates the same records from
 * article events; this is for operators and for setting things events do not carry.
 */
@Controller('api/v1')
@UseGuards(ApiAuthGuard)
@ApiTag('Actors')
export class ActorsController {
  constructor(
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Put('authors/:platformId')
  @ApiEndpoint({
    summary: 'Create or update an author',
    description:
      'Creates the author and its actor (`@username@host`), or updates it. Fields left out keep ' +
      'their stored value; `null` clears one. A taken username gets a free variant as handle.',
    scopes: ['admin'],
    errors: {
      400: { description: 'The body is not an author profile.', schema: 'ValidationError' },
    },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the author." })
  @ApiBody({ schema: jsonSchema(authorProfileSchema) })
  @ApiResponse({ status: 201, description: 'Created.', schema: ref('Actor') })
  @ApiOkResponse({ description: 'Updated.', schema: ref('Actor') })
  async putAuthor(
    @Param('platformId') platformId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ActorView> {
    const profile = validOrThrow(validAuthor(body));
    const { actor, created } = await this.actors.upsertAuthor(platformId, profile);
    res.status(created ? 201 : 200);
    return this.view(actor);
  }

  @Get('authors/:platformId')
  @ApiEndpoint({
    summary: 'Read an author',
    description: 'The author, its handle and actor id, and its publications.',
    scopes: ['admin'],
    errors: { 404: 'No such author (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the author." })
  @ApiOkResponse({ description: 'The author.', schema: ref('Actor') })
  async getAuthor(@Param('platformId') platformId: string): Promise<ActorView> {
    return this.view(await this.find('author', platformId));
  }

  @Put('publications/:platformId')
  @ApiEndpoint({
    summary: 'Create or update a publication',
    description:
      'Creates the publication and its actor (`@slug@host`), or updates it. `members` (author ' +
      'platform ids) replaces the set of members. Fields left out keep their stored value.',
    scopes: ['admin'],
    errors: {
      400: { description: 'The body is not a publication profile.', schema: 'ValidationError' },
      409: 'The custom domain belongs to another publication (`custom_domain_taken`).',
      422:
        "The custom domain is the bridge's own host (`invalid_custom_domain`), or members are " +
        'unknown authors (`unknown_authors`, with `missing`).',
    },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the publication." })
  @ApiBody({ schema: jsonSchema(publicationProfileSchema) })
  @ApiResponse({ status: 201, description: 'Created.', schema: ref('Actor') })
  @ApiOkResponse({ description: 'Updated.', schema: ref('Actor') })
  async putPublication(
    @Param('platformId') platformId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ActorView> {
    const profile = validOrThrow(validPublication(body));
    const { actor, created } = await this.actors.upsertPublication(platformId, profile);
    res.status(created ? 201 : 200);
    return this.view(actor);
  }

  @Get('publications/:platformId')
  @ApiEndpoint({
    summary: 'Read a publication',
    description: 'The publication, its handle and actor id, and its members.',
    scopes: ['admin'],
    errors: { 404: 'No such publication (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the publication." })
  @ApiOkResponse({ description: 'The publication.', schema: ref('Actor') })
  async getPublication(@Param('platformId') platformId: string): Promise<ActorView> {
    return this.view(await this.find('publication', platformId));
  }

  private async find(kind: ActorKind, platformId: string): Promise<Actor> {
    const actor = await this.actors.findByPlatformId(kind, platformId);
    if (actor === null) {
      throw new NotFoundException({ error: 'not_found', message: `no ${kind} ${platformId}` });
    }
    return actor;
  }

  private async view(actor: Actor): Promise<ActorView> {
    const host = this.config.publicUrl.host;
    const related =
      actor.kind === 'publication'
        ? { members: (await this.actors.members(actor.id)).map((a) => a.platformId) }
        : { publications: (await this.actors.publicationsOf(actor.id)).map((p) => p.platformId) };
    return {
      platformId: actor.platformId,
      kind: actor.kind,
      handle: actor.handle,
      acct: `@${actor.handle}@${host}`,
      aliases: actor.customDomain === null ? [] : [`@${actor.handle}@${actor.customDomain}`],
      actorId: actorUrl(this.config.publicUrl, actor.id).href,
      profilePage: profilePageUrl(this.config.publicUrl, actor.handle).href,
      name: actor.name,
      summaryHtml: actor.summaryHtml,
      avatarUrl: actor.avatarUrl,
      headerUrl: actor.headerUrl,
      url: actor.profileUrl,
      links: actor.profileLinks,
      alsoKnownAs: actor.alsoKnownAs,
      indexable: actor.indexable,
      customDomain: actor.customDomain,
      ...related,
      createdAt: actor.createdAt.toISOString(),
      updatedAt: actor.updatedAt.toISOString(),
    };
  }
}
