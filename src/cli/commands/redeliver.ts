import { QueueName } from '../../queue/jobs.js';
import { CliError, type Command, flag } from './command.js';
import { Progress } from './progress.js';
import { withContext } from './with-context.js';

/** `fedi-bridge redeliver`: a story's failed deliveries back into the `deliver` queue. */
export const redeliverCommand: Command = {
  name: 'redeliver',
  summary: "queue a story's failed deliveries again",
  help: `Usage: fedi-bridge redeliver <article platformId> [--failed-only]

Sends a story's activities again to the inboxes where delivery failed (retries ran out, or an
answer such as 403 that is not retried): those deliveries become pending, with the retry
schedule starting over, and are queued for the worker processes. Without --failed-only, its
pending deliveries waiting for a retry are also tried now. Each activity goes out exactly as it
was first signed. Once a story is deleted, only its Delete is sent again.

Options:
  --failed-only   only failed deliveries; leave pending ones to their schedule

Examples:
  fedi-bridge redeliver story-42
  fedi-bridge redeliver story-42 --failed-only`,
  options: { 'failed-only': { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const platformId = input.positionals[0] ?? '';
    const failedOnly = flag(input, 'failed-only');
    const { io } = input;
    const { ArticleRepository } = await import('../../articles/article.repository.js');
    const { DeliveryQueue, deliveryJobId } = await import('../../delivery/delivery-queue.js');
    const { hostOf } = await import('../../delivery/delivery.repository.js');
    const { AdminRepository } = await import('./admin.repository.js');
    await withContext(input, async (context) => {
      const article = await context.get(ArticleRepository).findByPlatformId(platformId);
      if (article === null) throw new CliError(`no story ${platformId}`);
      const admin = context.get(AdminRepository);
      const rows = await admin.redeliverable(article.id, failedOnly);
      if (rows.length === 0) {
        io.out(
          `nothing to redeliver for ${platformId}: no ${failedOnly ? 'failed' : 'failed or pending'} deliveries`,
        );
        return;
      }
      const queue = context.queue(QueueName.deliver);
      const progress = new Progress(io, 'redeliver', rows.length);
      const failed = rows.filter((r) => r.status === 'failed');
      const pending = rows.filter((r) => r.status === 'pending');
      // A job BullMQ gave up on is kept (failed) under the delivery's job id, which would make
      // queueing it again a no-op: it goes first.
      for (const row of failed) {
        const job = await queue.getJob(deliveryJobId(row.id));
        if (job !== undefined && (await job.isFailed())) await job.remove();
        progress.tick();
      }
      const reset = await admin.resetFailed(failed.map((r) => r.id));
      // Pending deliveries of these activities get a job unless theirs still exists (same id).
      await context.get(DeliveryQueue).enqueue([...new Set(rows.map((r) => r.activityId))]);
      let promoted = 0;
      for (const row of pending) {
        const job = await queue.getJob(deliveryJobId(row.id));
        if (job !== undefined && (await job.isDelayed())) {
          await job.promote();
          promoted++;
        }
        progress.tick();
      }
      await admin.dueNow(pending.map((r) => r.id));
      progress.finish();
      const hosts = new Set(rows.map((r) => hostOf(r.inboxUrl)));
      io.out(
        `queued ${reset.length} failed delivery(ies) of ${platformId} again` +
          (failedOnly ? '' : `; ${pending.length} pending (${promoted} brought forward)`) +
          ` — ${hosts.size} host(s): ${[...hosts].slice(0, 10).join(', ')}${hosts.size > 10 ? ', …' : ''}`,
      );
    });
  },
};
