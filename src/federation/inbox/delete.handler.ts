import type { InboxContext } from '@fedify/fedify';
import type { Delete } from '@fedify/vocab';
import type { InboxDeps } from './inbox-deps.js';

/**
 * Delete, with nothing fetched:
 * - of an actor by itself → it leaves every follower list, and its comments are removed;
 * - of a reply by its author → the comment is removed (soft, with a reason); a Delete of a reply
 *   not here yet is remembered, so its Create arriving later stores nothing.
 * Only an object on the actor's own origin can be deleted by it.
 */
export class DeleteHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(_ctx: InboxContext<void>, del: Delete): Promise<void> {
    const actorId = del.actorId;
    const objectId = del.objectId;
    if (actorId === null || objectId === null) return;
    if (objectId.href === actorId.href) {
      const removed = await this.deps.followers.removeEverywhere(actorId.href);
      const comments = (await this.deps.comments?.removeAuthor(actorId.href)) ?? 0;
      this.deps.log(
        `actor deleted: ${actorId.href}; ${removed} follow(s) and ${comments} comment(s) removed`,
      );
      return;
    }
    if (objectId.origin !== actorId.origin || this.deps.comments === undefined) return;
    if (await this.deps.comments.remove(objectId.href, actorId.href)) {
      this.deps.log(`reply ${objectId.href} deleted by its author`);
    }
  }
}
