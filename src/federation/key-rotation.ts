import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Federation } from '@fedify/fedify';
import { Update } from '@fedify/vocab';
import type { Actor } from '../actors/actor.js';
import { profilePageUrl } from '../actors/actor-urls.js';
import { ActorKeysService } from '../actors/actor-keys.service.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { renderActor } from './actor-document.js';
import { FEDERATION } from './federation.tokens.js';

/** The outcome of a rotation. */
export interface RotationResult {
  readonly actorId: string;
  /** Follower inboxes the Update(actor) was queued for (shared inboxes count once). */
  readonly inboxes: number;
}

/**
 * Rotates an actor's keys and tells its followers: new RSA and Ed25519 keys replace the current
 * ones, then Update(actor) carrying the new keys is queued to every follower, signed with the new
 * key. A server that still holds the old key fails to verify, refetches the actor once and finds
 * the new one.
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger(KeyRotationService.name);

  constructor(
    @Inject(FEDERATION) private readonly federation: Federation<void>,
    private readonly keys: ActorKeysService,
    private readonly followers: FollowerRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async rotate(actor: Actor): Promise<RotationResult> {
    await this.keys.rotate(actor.id);
    const ctx = this.federation.createContext(this.config.publicUrl, undefined);
    const document = await renderActor(ctx, actor, {
      attributionDomains: [],
      profileUrl: new URL(actor.profileUrl ?? profilePageUrl(this.config.publicUrl, actor.handle)),
    });
    const actorUri = ctx.getActorUri(actor.id);
    const recipients = (await this.followers.recipients(actor.id)).map((f) => ({
      id: new URL(f.followerUri),
      inboxId: new URL(f.inboxUrl),
      endpoints: f.sharedInboxUrl === null ? null : { sharedInbox: new URL(f.sharedInboxUrl) },
    }));
    const inboxes = new Set(recipients.map((r) => r.endpoints?.sharedInbox.href ?? r.inboxId.href));
    if (recipients.length > 0) {
      await ctx.sendActivity(
        { identifier: actor.id },
        recipients,
        new Update({
          id: new URL(`${actorUri.href}#updates/keys-${Date.now().toString()}`),
          actor: actorUri,
          object: document,
          to: new URL('https://www.w3.org/ns/activitystreams#Public'),
          published: undefined,
        }),
        { preferSharedInbox: true },
      );
    }
    this.logger.log(
      `rotated keys of ${actor.kind} ${actor.platformId}; Update queued for ${inboxes.size} inbox(es)`,
    );
    return { actorId: actor.id, inboxes: inboxes.size };
  }
}
