import type { InboxContext } from '@fedify/fedify';
import type { Delete } from '@fedify/vocab';
import type { InboxDeps } from './inbox-deps.js';

/**
 * Delete of an actor by itself → it is removed from every follower list, with nothing fetched.
 * (Deletes of posts become comment removals in the comments issue.)
 */
export class DeleteHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(_ctx: InboxContext<void>, del: Delete): Promise<void> {
    const actorId = del.actorId;
    if (actorId === null || del.objectId?.href !== actorId.href) return;
    const removed = await this.deps.followers.removeEverywhere(actorId.href);
    this.deps.log(`actor deleted: ${actorId.href}; ${removed} follow(s) removed`);
  }
}
