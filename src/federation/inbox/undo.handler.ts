import type { InboxContext } from '@fedify/fedify';
import { Follow, type Undo } from '@fedify/vocab';
import { type InboxDeps, localActor } from './inbox-deps.js';

/**
 * Undo(Follow) → the follow is removed. Only the follower itself can undo its Follow: the Undo's
 * actor must be the Follow's actor. The Follow is taken as embedded (as Mastodon sends it); an
 * Undo naming the Follow only by id is matched against the stored Follow id, nothing is fetched.
 */
export class UndoHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, undo: Undo): Promise<void> {
    const actorId = undo.actorId;
    if (actorId === null) return;
    const follow = await undo.getObject({ ...ctx, documentLoader: refuseToFetch });
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
    if (follow === null && undo.objectId !== null) {
      const removed = await this.deps.followers.removeByFollowId(actorId.href, undo.objectId.href);
      if (removed) this.deps.log(`unfollowed (by Follow id): ${actorId.href}`);
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
