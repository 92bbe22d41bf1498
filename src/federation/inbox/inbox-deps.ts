import type { InboxContext } from '@fedify/fedify';
import type { ActorsService } from '../../actors/actors.service.js';
import type { CommentIntake } from '../../comments/comment-intake.js';
import type { FollowerRepository } from '../../followers/follower.repository.js';
import { actorByIdentifier } from '../actor.dispatcher.js';

/** What inbox handlers read and write. */
export interface InboxDeps {
  readonly actors: ActorsService;
  readonly followers: FollowerRepository;
  readonly log: (message: string) => void;
  /** Where replies to our stories go (absent: replies are ignored). */
  readonly comments?: CommentIntake;
  /** A verified activity came from `host` (resets its delivery failure record). */
  readonly seen?: (host: string) => Promise<void>;
}

/** Our author or publication that `uri` names, with its dispatcher identifier. */
export async function localActor(
  ctx: InboxContext<void>,
  deps: InboxDeps,
  uri: URL | null,
): Promise<{ identifier: string; id: string } | null> {
  if (uri === null) return null;
  const parsed = ctx.parseUri(uri);
  if (parsed?.type !== 'actor') return null;
  const actor = await actorByIdentifier(deps.actors, parsed.identifier);
  if (actor === null || actor.kind === 'instance') return null;
  return { identifier: parsed.identifier, id: actor.id };
}
