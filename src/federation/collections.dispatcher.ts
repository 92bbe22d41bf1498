import type { Federation } from '@fedify/fedify';
import type { ActorsService } from '../actors/actors.service.js';
import type { FollowerRepository } from '../followers/follower.repository.js';
import { actorByIdentifier } from './actor.dispatcher.js';

/** Followers per collection page. */
export const FOLLOWERS_PAGE_SIZE = 50;

/** What the collection dispatchers read. */
export interface CollectionDeps {
  readonly actors: ActorsService;
  readonly followers: FollowerRepository;
  /** Serve only `totalItems` for followers, never who they are (`HIDE_FOLLOWERS`). */
  readonly hideFollowers: boolean;
}

/**
 * Followers (count and pages, oldest first), following (always empty: our actors follow no one),
 * outbox and featured (empty until stories are published).
 */
export function registerCollections(federation: Federation<void>, deps: CollectionDeps): void {
  const exists = async (identifier: string): Promise<string | null> => {
    const actor = await actorByIdentifier(deps.actors, identifier);
    return actor === null || actor.kind === 'instance' ? null : actor.id;
  };

  federation
    .setFollowersDispatcher('/actors/{identifier}/followers', async (_ctx, identifier, cursor) => {
      const actorId = await exists(identifier);
      if (actorId === null) return null;
      if (deps.hideFollowers || cursor === null) return { items: [] };
      const page = await deps.followers.page(
        actorId,
        cursor === '' ? null : cursor,
        FOLLOWERS_PAGE_SIZE,
      );
      return {
        items: page.items.map((f) => ({
          id: new URL(f.followerUri),
          inboxId: new URL(f.inboxUrl),
          endpoints: f.sharedInboxUrl === null ? null : { sharedInbox: new URL(f.sharedInboxUrl) },
        })),
        nextCursor: page.next,
      };
    })
    .setCounter(async (_ctx, identifier) => {
      const actorId = await exists(identifier);
      return actorId === null ? null : deps.followers.count(actorId);
    })
    .setFirstCursor(() => (deps.hideFollowers ? null : ''));

  federation
    .setFollowingDispatcher('/actors/{identifier}/following', async (_ctx, identifier) =>
      (await exists(identifier)) === null ? null : { items: [] },
    )
    .setCounter(async (_ctx, identifier) => ((await exists(identifier)) === null ? null : 0));

  federation
    .setOutboxDispatcher('/actors/{identifier}/outbox', async (_ctx, identifier) =>
      (await exists(identifier)) === null ? null : { items: [] },
    )
    .setCounter(async (_ctx, identifier) => ((await exists(identifier)) === null ? null : 0));

  federation.setFeaturedDispatcher('/actors/{identifier}/featured', async (_ctx, identifier) =>
    (await exists(identifier)) === null ? null : { items: [] },
  );
}
