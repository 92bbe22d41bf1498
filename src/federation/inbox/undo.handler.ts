import type { InboxContext } from '@fedify/fedify';
import { Announce, Follow, Like, type Undo } from '@fedify/vocab';
import { type InboxDeps, localActor } from './inbox-deps.js';

/**
 * Undo(Like) and Undo(Announce) of our stories → the like or boost is no longer counted.
 * Undo(Follow) → the follow is removed. Only the follower itself can undo its Follow: the Undo's
 * actor must be the Follow's actor. The Follow is taken as embedded (as Mastodon sends it); an
 * Undo naming the Follow only by id is matched against the stored Follow id, nothing is fetched.
 */
export class UndoHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, undo: Undo): Promise<void> {
    const actorId = undo.actorId;
    if (actorId === null) return;
    // An object given only by id is not fetched: the loader refuses, and it is matched by id.
    const follow = await undo
      .getObject({ ...ctx, documentLoader: refuseToFetch })
      .catch(() => null);
    if (follow instanceof Follow) {
      if (follow.actorId?.href !== actorId.href) {
        this.deps.log(`Undo from ${actorId.href} ignored: the Follow is someone else's`);
        return;
      }
      const target = await localActor(ctx, this.deps, follow.objectId);
      if (target === null) return;
      const removed = await this.deps.followers.remove(target.id, actorId.href);
      this.deps.log(`${removed ? 'unfollowed' : 'Undo of an unknown follow'}: ${actorId.href}`);
      return;
    }
    if (follow instanceof Like || follow instanceof Announce) {
      // Only the actor's own: the interaction is looked up with the Undo's actor.
      const type = follow instanceof Like ? 'like' : 'announce';
      const undone = await this.deps.comments?.undoInteraction(
        type,
        actorId.href,
        follow.id?.href ?? null,
        follow.objectId?.href ?? null,
      );
      if (undone === true) this.deps.log(`${type} undone by ${actorId.href}`);
      return;
    }
    if (follow === null && undo.objectId !== null) {
      const removed = await this.deps.followers.removeByFollowId(actorId.href, undo.objectId.href);
      if (removed) {
        this.deps.log(`unfollowed (by Follow id): ${actorId.href}`);
        return;
      }
      // An Undo naming a Like or Announce only by id.
      for (const type of ['like', 'announce'] as const) {
        if (
          await this.deps.comments?.undoInteraction(type, actorId.href, undo.objectId.href, null)
        ) {
          this.deps.log(`${type} undone by ${actorId.href}`);
          return;
        }
      }
      return;
    }
    this.deps.log(
      `Undo of ${follow?.constructor.name ?? 'unknown'} from ${actorId.href} not handled yet`,
    );
  }
}

/** A document loader that fetches nothing: objects must come embedded. */
async function refuseToFetch(url: string): Promise<never> {
  return Promise.reject(new Error(`not fetching ${url}: only embedded objects are read here`));
}
