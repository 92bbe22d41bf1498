import { randomUUID } from 'node:crypto';
import type { InboxContext } from '@fedify/fedify';
import { Accept, type Follow, isActor } from '@fedify/vocab';
import { isAcceptableInboxUrl } from '../../followers/inbox-url.js';
import { type InboxDeps, localActor } from './inbox-deps.js';

/**
 * Follow → the follower is stored (once; a repeated Follow refreshes it) and the followed actor
 * sends Accept. Accept embeds the Follow, so the follower's server matches it by id. A Follow from
 * a blocked actor or domain is left unanswered and not stored.
 */
export class FollowHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, follow: Follow): Promise<void> {
    const target = await localActor(ctx, this.deps, follow.objectId);
    if (target === null || follow.actorId === null) {
      this.deps.log(`Follow ${follow.id?.href ?? '(no id)'} ignored: not for one of our actors`);
      return;
    }
    if (await this.deps.comments?.isBlocked(follow.actorId.href)) {
      this.deps.log(
        `Follow from ${follow.actorId.href} refused: the actor or its domain is blocked`,
      );
      return;
    }
    const follower = await follow.getActor(ctx);
    if (follower === null || !isActor(follower) || follower.id?.href !== follow.actorId.href) {
      this.deps.log(`Follow from ${follow.actorId.href} ignored: its actor could not be read`);
      return;
    }
    if (follower.inboxId === null || !isAcceptableInboxUrl(follower.inboxId.href)) {
      this.deps.log(`Follow from ${follow.actorId.href} ignored: the actor has no usable inbox`);
      return;
    }
    const sharedInbox = follower.endpoints?.sharedInbox?.href ?? null;
    const { created } = await this.deps.followers.upsert({
      actorId: target.id,
      followerUri: follow.actorId.href,
      inboxUrl: follower.inboxId.href,
      // An unusable shared inbox is ignored: the personal inbox is used instead.
      sharedInboxUrl:
        sharedInbox !== null && isAcceptableInboxUrl(sharedInbox) ? sharedInbox : null,
      followActivityId: follow.id?.href ?? null,
    });
    const actorUri = ctx.getActorUri(target.identifier);
    await ctx.sendActivity(
      { identifier: target.identifier },
      follower,
      new Accept({
        id: new URL(`${actorUri.href}#accepts/${randomUUID()}`),
        actor: actorUri,
        object: follow,
      }),
    );
    this.deps.log(
      `${created ? 'new follower' : 'repeated Follow, re-accepted'}: ${follow.actorId.href} → ${actorUri.href}`,
    );
  }
}
