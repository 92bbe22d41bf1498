import type { InboxContext } from '@fedify/fedify';
import type { Announce, Like } from '@fedify/vocab';
import type { InboxDeps } from './inbox-deps.js';

/**
 * Like and Announce (boost) of one of our stories → counted per story, with who (one each per
 * actor; a repeat changes nothing). Likes and boosts of anything else are ignored.
 */
export class InteractionHandler {
  constructor(private readonly deps: InboxDeps) {}

  async like(_ctx: InboxContext<void>, like: Like): Promise<void> {
    await this.record('like', like);
  }

  async announce(_ctx: InboxContext<void>, announce: Announce): Promise<void> {
    await this.record('announce', announce);
  }

  private async record(type: 'like' | 'announce', activity: Like | Announce): Promise<void> {
    const intake = this.deps.comments;
    const actorId = activity.actorId;
    const objectId = activity.objectId;
    if (intake === undefined || actorId === null || objectId === null) return;
    if (await intake.interact(type, actorId.href, objectId.href, activity.id?.href ?? null)) {
      this.deps.log(`${type} of ${objectId.href} by ${actorId.href}`);
    }
  }
}
