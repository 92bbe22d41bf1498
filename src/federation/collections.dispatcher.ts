import type { Context, Federation } from '@fedify/fedify';
import { Activity, type Object as ApObject } from '@fedify/vocab';
import type { ActorsService } from '../actors/actors.service.js';
import type { FollowerRepository } from '../followers/follower.repository.js';
import type { OutboxService } from '../publishing/outbox.service.js';
import { actorByIdentifier } from './actor.dispatcher.js';

/** Followers per collection page. */
export const FOLLOWERS_PAGE_SIZE = 50;

/** What the collection dispatchers read. */
export interface CollectionDeps {
  readonly actors: ActorsService;
  readonly followers: FollowerRepository;
  /** Serve only `totalItems` for followers, never who they are (`HIDE_FOLLOWERS`). */
  readonly hideFollowers: boolean;
  readonly outbox: OutboxService;
  /** Where a stored activity that does not parse is reported (it is left out of the page). */
  readonly warn: (message: string) => void;
}

/**
 * Followers (count and pages, oldest first), following (always empty: our actors follow no one),
 * outbox (Creates and Announces of live stories, newest first, in pages) and featured (pinned
 * live stories as Articles, one page).
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

  // The first page's cursor is '' (the newest activities); an unknown actor has none, so that
  // Fedify asks the dispatcher, which answers 404.
  federation
    .setOutboxDispatcher('/actors/{identifier}/outbox', async (ctx, identifier, cursor) => {
      const actorId = await exists(identifier);
      if (actorId === null) return null;
      const page = await deps.outbox.page(actorId, cursor);
      const items = await parseAll(page.items, (json) => Activity.fromJsonLd(json, loaders(ctx)));
      return { items, nextCursor: page.next };
    })
    .setCounter(async (_ctx, identifier) => {
      const actorId = await exists(identifier);
      return actorId === null ? null : deps.outbox.count(actorId);
    })
    .setFirstCursor(async (_ctx, identifier) => ((await exists(identifier)) === null ? null : ''));

  federation
    .setFeaturedDispatcher('/actors/{identifier}/featured', async (_ctx, identifier) => {
      const actorId = await exists(identifier);
      if (actorId === null) return null;
      const ids = await deps.outbox.featured(actorId);
      // Fedify serializes URL items as bare ids (filterCollectionItems accepts Object, Link and
      // URL at run time; the dispatcher's type names only Object).
      return { items: ids.map((id) => new URL(id)) as unknown as ApObject[] };
    })
    .setCounter(async (_ctx, identifier) => {
      const actorId = await exists(identifier);
      return actorId === null ? null : deps.outbox.featuredCount(actorId);
    });

  /**
   * Fedify's objects from our JSON-LD. An object parsed from JSON keeps that JSON and is
   * serialized as it came (own `@context` included), so no term the vocabulary lacks is lost.
   */
  async function parseAll<T>(
    jsons: readonly Record<string, unknown>[],
    parse: (json: Record<string, unknown>) => Promise<T>,
  ): Promise<T[]> {
    const parsed: T[] = [];
    for (const json of jsons) {
      try {
        parsed.push(await parse(json));
      } catch (error) {
        deps.warn(`left ${String(json.id)} out of a collection: ${String(error)}`);
      }
    }
    return parsed;
  }
}

function loaders(ctx: Context<void>): Pick<Context<void>, 'documentLoader' | 'contextLoader'> {
  return { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
}
