import type { Queue } from 'bullmq';
import { type QueueDepth, QUEUE_STATES } from './metrics.js';

/** The job fields the age of a waiting job is computed from. */
export interface QueuedJob {
  /** When the job was added (ms since the epoch). */
  readonly timestamp: number;
  /** Its delay (ms) when it was added delayed; 0 otherwise. */
  readonly delay: number;
}

/** Seconds `job` has waited at `now`: since it was added, or since its delay ran out. */
export function waitedSeconds(job: QueuedJob, now: number): number {
  return Math.max(0, (now - (job.timestamp + job.delay)) / 1000);
}

/**
 * Ids read from the old end of the waiting list: jobs taken meanwhile (between the count and the
 * read) shorten it, and the oldest of what is left is still among them.
 */
const TAIL = 20;

/**
 * Counts of `queue`'s jobs per state and the wait of its oldest waiting job, on Redis and on
 * BullMQ's Postgres backend alike: the count, the ids at the old end of the waiting list, and that
 * one job. (`getJobs(['waiting'], 0, 0, true)` is not used: on the Postgres backend of BullMQ 6.7
 * it returns the newest job, not the oldest; newest-first ranges agree on both backends.)
 */
export async function readQueueDepth(queue: Queue, now = Date.now): Promise<QueueDepth> {
  const counts = await queue.getJobCounts(...QUEUE_STATES);
  const waiting = counts.waiting ?? 0;
  let oldestWaitingS = 0;
  if (waiting > 0) {
    const ids = await queue.getRanges(['waiting'], Math.max(0, waiting - TAIL), waiting - 1, false);
    const id = ids.at(-1);
    const job = id === undefined ? undefined : await queue.getJob(id);
    if (job !== undefined) oldestWaitingS = waitedSeconds(job, now());
  }
  return {
    queue: queue.name,
    counts: {
      waiting,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    },
    oldestWaitingS,
  };
}
