import type { InboxContext } from '@fedify/fedify';
import type { Update } from '@fedify/vocab';
import { isReplyObject, replyBodyOf } from './create.handler.js';
import type { InboxDeps } from './inbox-deps.js';

/**
 * Update of a reply by its author → the comment is edited; the earlier version is kept. Updates
 * of anything else (profiles, objects we do not have) are ignored.
 */
export class UpdateHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(ctx: InboxContext<void>, update: Update): Promise<void> {
    const intake = this.deps.comments;
    if (intake === undefined) return;
    const actorId = update.actorId;
    const object = await update.getObject(ctx);
    if (actorId === null || !isReplyObject(object) || object.id === null) return;
    if (object.attributionId?.href !== actorId.href || object.id.origin !== actorId.origin) return;
    const edited = await intake.edit(
      object.id.href,
      actorId.href,
      await replyBodyOf(ctx, object, update),
    );
    if (edited) this.deps.log(`reply ${object.id.href} edited by its author`);
  }
}
