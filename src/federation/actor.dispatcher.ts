import type { Context, Federation } from '@fedify/fedify';
import type { Actor } from '../actors/actor.js';
import { INSTANCE_IDENTIFIER, profilePageUrl } from '../actors/actor-urls.js';
import { attributionDomains } from '../actors/attribution-domains.js';
import { normalizeHandle } from '../actors/handle.js';
import type { ActorKeysService } from '../actors/actor-keys.service.js';
import type { ActorsService } from '../actors/actors.service.js';
import { renderActor } from './actor-document.js';

/** What the actor dispatchers read. */
export interface ActorDispatchDeps {
  readonly actors: ActorsService;
  readonly keys: ActorKeysService;
  readonly publicUrl: URL;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The actor behind a dispatcher identifier: `instance` or an actor's internal id. */
export async function actorByIdentifier(
  actors: ActorsService,
  identifier: string,
): Promise<Actor | null> {
  if (identifier === INSTANCE_IDENTIFIER) return actors.instanceActor();
  if (!UUID.test(identifier)) return null;
  const actor = await actors.findById(identifier);
  return actor?.kind === 'instance' ? null : actor;
}

/**
 * Registers the actor dispatcher, its key pairs and the handle mapping that WebFinger uses.
 * On `PUBLIC_URL`'s host every author and publication handle resolves, plus `instance` and the
 * host name itself for the instance actor (Mastodon's convention). On a publication's custom
 * domain only that publication resolves, by its handle or its slug.
 */
export function registerActorDispatcher(
  federation: Federation<void>,
  deps: ActorDispatchDeps,
): void {
  federation
    .setActorDispatcher('/actors/{identifier}', async (ctx, identifier) => {
      const actor = await actorByIdentifier(deps.actors, identifier);
      if (actor === null) return null;
      return renderActor(ctx, actor, {
        attributionDomains: await attributionDomains(deps.actors, actor),
        profileUrl: new URL(actor.profileUrl ?? profilePageUrl(deps.publicUrl, actor.handle)),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      const actor = await actorByIdentifier(deps.actors, identifier);
      if (actor === null) return [];
      return deps.keys.keyPairs(actor.id);
    })
    .mapHandle(async (ctx, username) => mapHandle(deps, ctx, username));
}

async function mapHandle(
  deps: ActorDispatchDeps,
  ctx: Context<void>,
  username: string,
): Promise<string | null> {
  const handle = username.toLowerCase();
  const host = ctx.hostname.toLowerCase();
  if (host !== deps.publicUrl.hostname) {
    // On its own domain a publication also answers to its slug when the bridge-wide handle had
    // to take a suffix (see handle.ts).
    const publication = await deps.actors.findByCustomDomain(host);
    if (publication === null) return null;
    const names = [publication.handle, normalizeHandle(publication.platformHandle)];
    return names.includes(handle) ? publication.id : null;
  }
  if (handle === INSTANCE_IDENTIFIER || handle === deps.publicUrl.hostname) {
    return INSTANCE_IDENTIFIER;
  }
  const actor = await deps.actors.findByHandle(handle);
  return actor === null || actor.kind === 'instance' ? null : actor.id;
}
