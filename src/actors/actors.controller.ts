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
import type { Response } from 'express';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { RequireScopes } from '../auth/api-auth.guard.js';
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
export class ActorsController {
  constructor(
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  @Put('authors/:platformId')
  @RequireScopes('admin')
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
  @RequireScopes('admin')
  async getAuthor(@Param('platformId') platformId: string): Promise<ActorView> {
    return this.view(await this.find('author', platformId));
  }

  @Put('publications/:platformId')
  @RequireScopes('admin')
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
  @RequireScopes('admin')
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
