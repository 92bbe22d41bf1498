import type { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';

/** Retry delay for registering a schedule while the queue backend is unreachable. */
const SCHEDULE_RETRY_MS = 30_000;

/**
 * Registers (or updates) a repeating job, retrying every 30 s while the queue backend is down, so
 * an outage at boot does not hold the boot and the schedule still appears once it is back.
 * With `atStartAfterMs`, the job also runs once that long after the call. Returns a function that
 * cancels pending retries (call it on shutdown).
 */
export function scheduleRepeating(
  queue: Queue,
  schedulerId: string,
  everyMs: number,
  job: { readonly name: string; readonly data: object },
  logger: Pick<Logger, 'warn'>,
  options: { readonly atStartAfterMs?: number } = {},
): () => void {
  if (options.atStartAfterMs !== undefined) {
    // Once at start too: a schedule fires only at its next multiple of the interval, and a
    // restart is when something is most likely left behind.
    queue
      .add(job.name, job.data, {
        jobId: `${schedulerId}-start-${Date.now().toString()}`,
        delay: options.atStartAfterMs,
        removeOnComplete: true,
        removeOnFail: { count: 100 },
      })
      .catch((err: unknown) => {
        logger.warn(`${schedulerId} at start was not queued: ${String(err)}`);
      });
  }
  let retry: NodeJS.Timeout | undefined;
  let cancelled = false;
  const attempt = (): void => {
    queue
      .upsertJobScheduler(schedulerId, { every: everyMs }, { name: job.name, data: job.data })
      .catch((err: unknown) => {
        if (cancelled) return;
        logger.warn(`could not schedule ${schedulerId} (${String(err)}); retrying`);
        retry = setTimeout(attempt, SCHEDULE_RETRY_MS);
        retry.unref();
      });
  };
  attempt();
  return () => {
    cancelled = true;
    clearTimeout(retry);
  };
}
