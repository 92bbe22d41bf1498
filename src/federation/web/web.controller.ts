import {
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Actor } from '../../actors/actor.js';
import { actorUrl, profilePageUrl } from '../../actors/actor-urls.js';
import { ActorsService } from '../../actors/actors.service.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { actorByIdentifier } from '../actor.dispatcher.js';
import { REMOTE_JSON } from '../federation.tokens.js';
import { renderProfilePage } from './profile-page.js';
import { type JsonFetcher, resolveRemoteFollow } from './remote-follow.js';

/**
 * What browsers see: actor URLs redirect to the platform profile (ActivityPub clients get JSON from
 * Fedify before this runs), `/@handle` is a small page with a remote-follow form, and host-meta.
 */
@Controller()
export class WebController {
  constructor(
    private readonly actors: ActorsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    @Inject(REMOTE_JSON) private readonly fetchJson: JsonFetcher,
  ) {}

  /** A browser opening an actor id: 302 to the platform profile, else to our profile page. */
  @Get('actors/:identifier')
  async actor(@Param('identifier') identifier: string, @Res() res: Response): Promise<void> {
    const actor = await actorByIdentifier(this.actors, identifier);
    if (actor === null)
      throw new NotFoundException({ error: 'not_found', message: 'no such actor' });
    const target =
      actor.profileUrl ??
      (actor.kind === 'instance'
        ? this.config.publicUrl.href
        : profilePageUrl(this.config.publicUrl, actor.handle).href);
    res.redirect(302, target);
  }

  @Get('@:handle')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async profile(@Param('handle') handle: string): Promise<string> {
    const actor = await this.findProfile(handle);
    return renderProfilePage(this.pageModel(actor));
  }

  /** The remote-follow form's target: looks up the reader's server and redirects there. */
  @Get('@:handle/follow')
  async follow(
    @Param('handle') handle: string,
    @Query('server') server: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const actor = await this.findProfile(handle);
    const typed = (server ?? '').slice(0, 300);
    const scheme =
      this.config.allowPrivateAddresses && this.config.publicUrl.protocol === 'http:'
        ? 'http'
        : 'https';
    const result = await resolveRemoteFollow(
      typed,
      actorUrl(this.config.publicUrl, actor.id),
      this.fetchJson,
      scheme,
    );
    if (result.ok) {
      res.redirect(302, result.redirect.href);
      return;
    }
    res
      .status(400)
      .type('html')
      .send(renderProfilePage({ ...this.pageModel(actor), error: result.message, typed }));
  }

  /** host-meta (RFC 6415) as XRD: where WebFinger is. */
  @Get('.well-known/host-meta')
  async hostMeta(@Req() req: Request, @Res() res: Response): Promise<void> {
    const template = await this.webFingerTemplate(req);
    res
      .status(200)
      .set('Access-Control-Allow-Origin', '*')
      .type('application/xrd+xml; charset=utf-8')
      .send(
        `<?xml version="1.0" encoding="UTF-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="lrdd" template="${template}"/>\n</XRD>\n`,
      );
  }

  /** host-meta as JSON (JRD). */
  @Get('.well-known/host-meta.json')
  async hostMetaJson(@Req() req: Request, @Res() res: Response): Promise<void> {
    const template = await this.webFingerTemplate(req);
    res
      .status(200)
      .set('Access-Control-Allow-Origin', '*')
      .type('application/json')
      .send(
        JSON.stringify({
          links: [{ rel: 'lrdd', template }],
        }),
      );
  }

  /** WebFinger on the host asked: a publication's custom domain answers for itself. */
  private async webFingerTemplate(req: Request): Promise<string> {
    const host = req.hostname.toLowerCase();
    const origin =
      host !== this.config.publicUrl.hostname &&
      (await this.actors.findByCustomDomain(host)) !== null
        ? `${this.config.publicUrl.protocol}//${req.get('host') ?? host}`
        : this.config.publicUrl.origin;
    return `${origin}/.well-known/webfinger?resource={uri}`;
  }

  private async findProfile(handle: string): Promise<Actor> {
    const actor = await this.actors.findByHandle(handle);
    if (actor === null || actor.kind === 'instance') {
      throw new NotFoundException({
        error: 'not_found',
        message: `no author or publication @${handle}`,
      });
    }
    return actor;
  }

  private pageModel(actor: Actor): Parameters<typeof renderProfilePage>[0] {
    return {
      actor,
      acct: `@${actor.handle}@${this.config.publicUrl.host}`,
      actorUri: actorUrl(this.config.publicUrl, actor.id).href,
      formAction: `/@${encodeURIComponent(actor.handle)}/follow`,
    };
  }
}
