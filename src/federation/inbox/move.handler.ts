import type { InboxContext } from '@fedify/fedify';
import { isActor, type Move } from '@fedify/vocab';
import type { InboxDeps } from './inbox-deps.js';
import { isAcceptableInboxUrl } from '../../followers/inbox-url.js';

/**
 * Move (FEP-7628) → the old actor's follows of our actors pass to the target, but only when the
 * target, fetched from its own server, lists the old actor in `alsoKnownAs`.
 */
export class MoveHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, move: Move): Promise<void> {
    const from = move.actorId;
    const to = move.targetId;
    if (
      from === null ||
      to === null ||
      (move.objectId !== null && move.objectId.href !== from.href)
    ) {
      this.deps.log('Move ignored: it must move its own actor to a target');
      return;
    }
    const follows = await this.deps.followers.followsOf(from.href);
    if (follows.length === 0) return;
    const target = await move.getTarget(ctx);
    if (
      target === null ||
      !isActor(target) ||
      target.id?.href !== to.href ||
      target.inboxId === null ||
      !isAcceptableInboxUrl(target.inboxId.href)
    ) {
      this.deps.log(`Move of ${from.href} ignored: target ${to.href} could not be read`);
      return;
    }
    if (!target.aliasIds.some((alias) => alias.href === from.href)) {
      this.deps.log(`Move of ${from.href} refused: ${to.href} does not list it in alsoKnownAs`);
      return;
    }
    const sharedInbox = target.endpoints?.sharedInbox?.href ?? null;
    for (const follow of follows) {
      await this.deps.followers.upsert({
        actorId: follow.actorId,
        followerUri: to.href,
        inboxUrl: target.inboxId.href,
        sharedInboxUrl:
          sharedInbox !== null && isAcceptableInboxUrl(sharedInbox) ? sharedInbox : null,
        followActivityId: null,
      });
      await this.deps.followers.remove(follow.actorId, from.href);
    }
    this.deps.log(`moved ${follows.length} follow(s) from ${from.href} to ${to.href}`);
  }
}
