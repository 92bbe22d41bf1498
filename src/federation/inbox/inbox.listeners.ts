import type { Federation, InboxContext, RequestContext } from '@fedify/fedify';
import {
  Activity,
  Announce,
  Block,
  Create,
  Delete,
  Flag,
  Follow,
  Like,
  Move,
  Reject,
  Undo,
  Update,
} from '@fedify/vocab';
import type { UnverifiedActivityReason } from '@fedify/fedify';
import type { InboxMetrics } from '../../metrics/metrics.js';
import { DocumentLoaderError } from '../../net/index.js';
import { BlockHandler, RejectHandler } from './block.handler.js';
import { CreateHandler } from './create.handler.js';
import { DeleteHandler } from './delete.handler.js';
import { FlagHandler } from './flag.handler.js';
import { FollowHandler } from './follow.handler.js';
import { InteractionHandler } from './interaction.handler.js';
import type { InboxDeps } from './inbox-deps.js';
import { MoveHandler } from './move.handler.js';
import { UndoHandler } from './undo.handler.js';
import { UpdateHandler } from './update.handler.js';

/** Per-actor inboxes and the shared inbox. */
export const INBOX_PATH = '/actors/{identifier}/inbox';
export const SHARED_INBOX_PATH = '/inbox';

/**
 * Registers one handler per activity type. Signatures are verified by Fedify before any handler
 * runs; what cannot be verified goes to {@link answerUnverified}.
 */
export function registerInbox(
  federation: Federation<void>,
  deps: InboxDeps,
  metrics?: InboxMetrics,
): void {
  const follow = new FollowHandler(deps);
  const undo = new UndoHandler(deps);
  const del = new DeleteHandler(deps);
  const move = new MoveHandler(deps);
  const block = new BlockHandler(deps);
  const reject = new RejectHandler(deps);
  const create = new CreateHandler(deps);
  const update = new UpdateHandler(deps);
  const interactions = new InteractionHandler(deps);
  const flags = new FlagHandler(deps);
  // Fedify runs listeners only for verified activities: each one shows its server is up, which
  // clears that host's delivery failures (Mastodon's rule for unavailable domains).
  const seen = async (activity: Activity): Promise<void> => {
    const host = activity.actorId?.host;
    if (host === undefined || deps.seen === undefined) return;
    try {
      await deps.seen(host.toLowerCase());
    } catch (error) {
      deps.log(`delivery health of ${host} not reset: ${String(error)}`);
    }
  };
  // Each listener clears its sender's host, then handles the activity; both are counted by type.
  const listener =
    <T extends Activity>(type: string, handle: (ctx: InboxContext<void>, a: T) => Promise<void>) =>
    async (ctx: InboxContext<void>, a: T): Promise<void> => {
      try {
        await seen(a);
        await handle(ctx, a);
      } catch (error) {
        metrics?.inbox(type, 'error');
        throw error;
      }
      metrics?.inbox(type, 'handled');
    };
  federation
    .setInboxListeners(INBOX_PATH, SHARED_INBOX_PATH)
    .on(
      Follow,
      listener('Follow', (ctx, a) => follow.handle(ctx, a)),
    )
    .on(
      Undo,
      listener('Undo', (ctx, a) => undo.handle(ctx, a)),
    )
    .on(
      Delete,
      listener('Delete', (ctx, a) => del.handle(ctx, a)),
    )
    .on(
      Move,
      listener('Move', (ctx, a) => move.handle(ctx, a)),
    )
    .on(
      Block,
      listener('Block', (ctx, a) => block.handle(ctx, a)),
    )
    .on(
      Reject,
      listener('Reject', (ctx, a) => reject.handle(ctx, a)),
    )
    .on(
      Create,
      listener('Create', (ctx, a) => create.handle(ctx, a)),
    )
    .on(
      Update,
      listener('Update', (ctx, a) => update.handle(ctx, a)),
    )
    .on(
      Flag,
      listener('Flag', (ctx, a) => flags.handle(ctx, a)),
    )
    .on(
      Like,
      listener('Like', (ctx, a) => interactions.like(ctx, a)),
    )
    .on(
      Announce,
      listener('Announce', (ctx, a) => interactions.announce(ctx, a)),
    )
    .on(Activity, async (_ctx, a) => {
      await seen(a);
      metrics?.inbox(vocabularyName(a), 'ignored');
    })
    .onUnverifiedActivity((ctx, activity, reason) => {
      metrics?.signatureFailure(reason.type);
      return answerUnverified(ctx, activity, reason, deps);
    })
    .onError((_ctx, error) => {
      deps.log(`inbox handler failed: ${error.message}`);
    });
}

/**
 * An activity whose signature could not be checked:
 * - the signer's key document is gone (410) and the activity is that actor deleting itself:
 *   the actor really is gone, so it is removed from follower lists; 202;
 * - the key could not be fetched for a transient reason (network, timeout, 5xx, 429): 503, so
 *   the sender retries later instead of dropping the activity;
 * - anything else: Fedify's 401.
 */
export async function answerUnverified(
  _ctx: RequestContext<void>,
  activity: Activity,
  reason: UnverifiedActivityReason,
  deps: InboxDeps,
): Promise<Response | undefined> {
  if (reason.type !== 'keyFetchError') return undefined;
  const result = reason.result;
  if ('status' in result) {
    if (
      result.status === 410 &&
      activity instanceof Delete &&
      isSelfDelete(activity, reason.keyId)
    ) {
      const actorId = activity.actorId;
      const removed = actorId === null ? 0 : await deps.followers.removeEverywhere(actorId.href);
      deps.log(`actor gone (410): ${actorId?.href ?? '?'}; ${removed} follow(s) removed`);
      return new Response(null, { status: 202 });
    }
    if (result.status >= 500 || result.status === 429 || result.status === 408) {
      return unavailable(`key ${reason.keyId.href} answered ${result.status}`);
    }
    return undefined;
  }
  // A key that can never be fetched (a `javascript:` keyId, a private address, a redirect loop,
  // an oversized document) is not worth a retry: Fedify's 401. Found by inbox-fuzz.e2e-spec.ts.
  // Fedify caches fetch failures in its KV store as a bare name and message, so on a repeat the
  // error is no longer a DocumentLoaderError; a keyId that is not http(s) is still recognised.
  if (result.error instanceof DocumentLoaderError && !result.error.transient) return undefined;
  if (reason.keyId.protocol !== 'https:' && reason.keyId.protocol !== 'http:') return undefined;
  return unavailable(`key ${reason.keyId.href} could not be fetched: ${result.error.message}`);
}

/** The vocabulary name of an activity's class (`EmojiReact`), a bounded metrics label. */
function vocabularyName(activity: Activity): string {
  const name = activity.constructor.name;
  return /^[A-Za-z]{1,40}$/.test(name) ? name : 'Activity';
}

/** A Delete whose object is its actor, signed by a key on that actor's document. */
function isSelfDelete(del: Delete, keyId: URL): boolean {
  const actorId = del.actorId;
  if (actorId === null || del.objectId?.href !== actorId.href) return false;
  const key = new URL(keyId);
  key.hash = '';
  return key.href === actorId.href || key.origin === actorId.origin;
}

function unavailable(message: string): Response {
  return new Response(JSON.stringify({ error: 'key_unavailable', message }), {
    status: 503,
    headers: { 'Content-Type': 'application/json', 'Retry-After': '60' },
  });
}
