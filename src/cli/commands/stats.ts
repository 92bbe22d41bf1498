import { ALL_QUEUES } from '../../queue/jobs.js';
import type { Counts } from './admin.repository.js';
import { type Command, flag } from './command.js';
import { withContext } from './with-context.js';

/** Job states `stats` reports per queue. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

type QueueDepths = Record<string, Record<(typeof JOB_STATES)[number], number>>;

/** `fedi-bridge stats`: counts across the database and the queues. */
export const statsCommand: Command = {
  name: 'stats',
  summary: 'counts: actors, followers, stories, deliveries, comments, queues',
  help: `Usage: fedi-bridge stats [--json]

Prints counts: actors by kind, followers (follow rows, and distinct accounts), stories (live and
deleted), deliveries by status among those created in the last 24 hours, comments by status,
and the jobs of each queue by state (waiting, active, delayed, failed).

Options:
  --json   one JSON object instead of the table

Examples:
  fedi-bridge stats
  fedi-bridge stats --json | jq .queues.deliver`,
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(input) {
    const { AdminRepository } = await import('./admin.repository.js');
    const stats = await withContext(input, async (context) => {
      const counts = await context.get(AdminRepository).counts();
      const queues: QueueDepths = {};
      for (const name of ALL_QUEUES) {
        const queue = context.queue(name);
        const jobs = await queue.getJobCounts(...JOB_STATES);
        queues[name] = {
          waiting: jobs.waiting ?? 0,
          active: jobs.active ?? 0,
          delayed: jobs.delayed ?? 0,
          failed: jobs.failed ?? 0,
        };
      }
      return { ...counts, queues };
    });
    if (flag(input, 'json')) input.io.out(JSON.stringify(stats, null, 2));
    else input.io.out(table(stats));
  },
};

function table(stats: Counts & { queues: QueueDepths }): string {
  const pairs = (record: Record<string, number>): string =>
    Object.keys(record).length === 0
      ? 'none'
      : Object.entries(record)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
  const lines = [
    `actors               ${pairs(stats.actors)}`,
    `followers            ${stats.followers.total} (${stats.followers.distinctAccounts} distinct accounts)`,
    `stories              live ${stats.stories.live}, deleted ${stats.stories.deleted}`,
    `deliveries (24 h)    ${pairs(stats.deliveriesLast24h)}`,
    `comments             ${pairs(stats.comments)}`,
    '',
    `queue              ${JOB_STATES.map((s) => s.padStart(8)).join(' ')}`,
  ];
  for (const [name, jobs] of Object.entries(stats.queues)) {
    lines.push(
      `${name.padEnd(18)} ${JOB_STATES.map((s) => String(jobs[s]).padStart(8)).join(' ')}`,
    );
  }
  return lines.join('\n');
}
