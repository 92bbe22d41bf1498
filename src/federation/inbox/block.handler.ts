import type { InboxContext } from '@fedify/fedify';
import type { Block, Reject } from '@fedify/vocab';
import { type InboxDeps, localActor } from './inbox-deps.js';

/** Block of one of our actors → the blocker stops following it (so it receives nothing more). */
export class BlockHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, block: Block): Promise<void> {
    const target = await localActor(ctx, this.deps, block.objectId);
    if (target === null || block.actorId === null) return;
    const removed = await this.deps.followers.remove(target.id, block.actorId.href);
    this.deps.log(`blocked by ${block.actorId.href}${removed ? '; its follow removed' : ''}`);
  }
}

/**
 * Reject: our actors follow no one, so a Reject can only refer to something we never sent; it is
 * logged and changes nothing (a forged Reject cannot remove anything).
 */
export class RejectHandler {
  constructor(private readonly deps: InboxDeps) {}

  handle(_ctx: InboxContext<void>, reject: Reject): Promise<void> {
    this.deps.log(
      `Reject from ${reject.actorId?.href ?? '?'} of ${reject.objectId?.href ?? '?'}: nothing to undo`,
    );
    return Promise.resolve();
  }
}
