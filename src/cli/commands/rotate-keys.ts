import type { Actor, ActorKind } from '../../actors/actor.js';
import type { ActorsService } from '../../actors/actors.service.js';
import { CliError, type Command, flag, stringOption, UsageError } from './command.js';
import { Progress } from './progress.js';
import { withContext } from './with-context.js';

const KINDS: readonly ActorKind[] = ['author', 'publication'];

/** `fedi-bridge rotate-keys`: the admin API's key rotation, for one actor or all of them. */
export const rotateKeysCommand: Command = {
  name: 'rotate-keys',
  summary: "replace an actor's keys (or every actor's) and tell followers",
  help: `Usage: fedi-bridge rotate-keys (<platformId> [--kind author|publication] | --all)

Replaces the actor's RSA and Ed25519 keys with new ones and queues an Update of the actor,
carrying the new keys, to its followers (sent by the worker processes). The same rotation as
POST /api/v1/{authors|publications}/{platformId}/rotate-keys (docs/federation.md).

Options:
  --kind <kind>   author or publication, when both have this platform id
  --all           every author and publication (not the instance actor)

Examples:
  fedi-bridge rotate-keys u-ada
  fedi-bridge rotate-keys pub-engines --kind publication
  fedi-bridge rotate-keys --all`,
  options: { kind: { type: 'string' }, all: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run(input) {
    const platformId = input.positionals[0];
    const all = flag(input, 'all');
    if ((platformId === undefined) === !all) {
      throw new UsageError('give an actor platform id or --all');
    }
    const kind = stringOption(input, 'kind');
    if (kind !== undefined && !(KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--kind must be one of ${KINDS.join(', ')}, got "${kind}"`);
    }
    if (kind !== undefined && all)
      throw new UsageError('--kind goes with a platform id, not --all');
    const { io } = input;
    const { ActorsService } = await import('../../actors/actors.service.js');
    const { KeyRotationService } = await import('../../federation/key-rotation.js');
    const { AdminRepository } = await import('./admin.repository.js');
    await withContext(input, async (context) => {
      const actors = context.get(ActorsService);
      const rotation = context.get(KeyRotationService);
      if (platformId !== undefined) {
        const actor = await findActor(actors, platformId, kind as ActorKind | undefined);
        const result = await rotation.rotate(actor);
        io.out(
          `rotated the keys of ${actor.kind} ${actor.platformId} (@${actor.handle}); ` +
            `Update queued for ${result.inboxes} inbox(es)`,
        );
        return;
      }
      const ids = await context.get(AdminRepository).actorIds();
      const progress = new Progress(io, 'rotate-keys', ids.length);
      let rotated = 0;
      let inboxes = 0;
      for (const { id } of ids) {
        const actor = await actors.findById(id);
        if (actor !== null) {
          inboxes += (await rotation.rotate(actor)).inboxes;
          rotated++;
        }
        progress.tick();
      }
      progress.finish();
      io.out(`rotated the keys of ${rotated} actor(s); Updates queued for ${inboxes} inbox(es)`);
    });
  },
};

async function findActor(
  actors: ActorsService,
  platformId: string,
  kind: ActorKind | undefined,
): Promise<Actor> {
  const found = (
    await Promise.all(
      (kind === undefined ? KINDS : [kind]).map((k) => actors.findByPlatformId(k, platformId)),
    )
  ).filter((a): a is Actor => a !== null);
  const [first, second] = found;
  if (first === undefined) {
    throw new CliError(`no ${kind ?? 'author or publication'} ${platformId}`);
  }
  if (second !== undefined) {
    throw new UsageError(
      `both an author and a publication have platform id ${platformId}: add --kind author or --kind publication`,
    );
  }
  return first;
}
