import type { ActorKind } from '../../actors/actor.js';
import type { ActorsService } from '../../actors/actors.service.js';
import { CliError, type Command, flag, stringOption, UsageError } from './command.js';
import { Progress } from './progress.js';
import { withContext } from './with-context.js';

/** `fedi-bridge backfill`: stories into outboxes without a Create to anyone's timeline. */
export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'list stored stories in outboxes without sending them to followers',
  help: `Usage: fedi-bridge backfill (--author <platformId> | --publication <platformId> | --all) [--dry-run]

Takes stored, live stories that were never published on the fediverse (no Create was written for
them: imported while no worker ran, say) and records them as published without delivering
anything: their authors' and publication's outboxes list them from then on, with their original
dates, and later edits are sent as Update like any other story's. Followers' timelines do not
get them. Stories already published are left alone. See docs/cli.md for when to use it.

Options:
  --author <platformId>       stories this author wrote (in any position)
  --publication <platformId>  stories that appeared in this publication
  --all                       every such story
  --dry-run                   list what would be backfilled; change nothing

Examples:
  fedi-bridge backfill --author u-ada --dry-run
  fedi-bridge backfill --all`,
  options: {
    author: { type: 'string' },
    publication: { type: 'string' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(input) {
    const author = stringOption(input, 'author');
    const publication = stringOption(input, 'publication');
    const chosen = [author, publication, flag(input, 'all') ? true : undefined].filter(
      (v) => v !== undefined,
    );
    if (chosen.length !== 1) {
      throw new UsageError('give exactly one of --author, --publication and --all');
    }
    const { io } = input;
    const { ActorsService } = await import('../../actors/actors.service.js');
    const { AdminRepository } = await import('./admin.repository.js');
    const { Backfiller } = await import('./backfiller.js');
    await withContext(input, async (context) => {
      const actors = context.get(ActorsService);
      const filter = {
        authorId: author === undefined ? null : await actorId(actors, 'author', author),
        publicationId:
          publication === undefined ? null : await actorId(actors, 'publication', publication),
      };
      const stories = await context.get(AdminRepository).unpublished(filter);
      if (flag(input, 'dry-run')) {
        for (const s of stories) {
          io.out(`${s.platformId}\t${s.publishedAt.toISOString()}\t${s.title}`);
        }
        io.err(`${stories.length} story(ies) would be backfilled (dry run: nothing changed)`);
        return;
      }
      const backfiller = context.get(Backfiller);
      const progress = new Progress(io, 'backfill', stories.length);
      let done = 0;
      const skipped: string[] = [];
      for (const story of stories) {
        const result = await backfiller.backfill(story.id);
        if (result.outcome === 'backfilled') done++;
        else skipped.push(`${story.platformId} (${result.reason})`);
        progress.tick();
      }
      progress.finish();
      io.out(`backfilled ${done} story(ies); nothing was delivered`);
      if (skipped.length > 0) io.out(`skipped ${skipped.length}: ${skipped.join(', ')}`);
    });
  },
};

async function actorId(
  actors: ActorsService,
  kind: ActorKind,
  platformId: string,
): Promise<string> {
  const actor = await actors.findByPlatformId(kind, platformId);
  if (actor === null) throw new CliError(`no ${kind} ${platformId}`);
  return actor.id;
}
