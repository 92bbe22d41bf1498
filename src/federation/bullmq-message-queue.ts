import type { Temporal } from '@js-temporal/polyfill';
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from '@fedify/fedify';
import type { Job, JobsOptions, JobType } from 'bullmq';
import { settleWithin } from '../common/settle-within.js';
import type { JobMap } from '../queue/jobs.js';

const JOB_NAME = 'fedify.message';
type Payload = JobMap[typeof JOB_NAME];

/** What the adapter uses of a BullMQ `Queue` (either backend fits). */
export interface QueueLike {
  readonly name: string;
  add(name: string, data: Payload, opts?: JobsOptions): Promise<unknown>;
  addBulk(jobs: { name: string; data: Payload; opts?: JobsOptions }[]): Promise<unknown>;
  getJobCounts(...types: JobType[]): Promise<Record<string, number>>;
}

/** What the adapter uses of a BullMQ `Worker`. */
export interface WorkerLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(doNotWaitActive?: boolean): Promise<void>;
  close(force?: boolean): Promise<void>;
}

/** Options for {@link BullMqMessageQueue}. */
export interface BullMqMessageQueueOptions {
  /** Starts a worker on the queue (connection, prefix, concurrency and backend are the caller's). */
  readonly createWorker: (
    queueName: string,
    processor: (job: Job<Payload>) => Promise<void>,
  ) => WorkerLike;
  /** How long `listen()` waits for running jobs after its signal aborts before it force-closes
   * the worker (the jobs then return to the queue when their lock expires). Default 5 s. */
  readonly drainTimeoutMs?: number;
  /** Called with errors the worker reports (connection loss and the like). */
  readonly onError?: (error: Error) => void;
}

/**
 * Fedify's {@link MessageQueue} on a BullMQ queue (Redis or BullMQ's Postgres backend).
 *
 * Fedify retries failed deliveries itself with its own backoff policy, so jobs are not retried by
 * BullMQ (`nativeRetrial` is false). Completed jobs are removed; failed ones are kept (the last
 * 1000) for inspection. Ordering keys are accepted but not enforced: open-source BullMQ has no
 * per-key groups.
 */
export class BullMqMessageQueue implements MessageQueue {
  readonly nativeRetrial = false;

  constructor(
    private readonly queue: QueueLike,
    private readonly options: BullMqMessageQueueOptions,
  ) {}

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.queue.add(JOB_NAME, { message: storable(message) }, jobOptions(options));
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    const opts = jobOptions(options);
    await this.queue.addBulk(
      messages.map((message) => ({ name: JOB_NAME, data: { message: storable(message) }, opts })),
    );
  }

  /**
   * Processes messages until `options.signal` aborts, then stops taking jobs, lets running ones
   * finish (up to `drainTimeoutMs`) and resolves.
   */
  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return;
    const worker = this.options.createWorker(this.queue.name, async (job) => {
      await handler(job.data.message);
    });
    worker.on('error', (error) => {
      this.options.onError?.(error);
    });
    await new Promise<void>((resolve) => {
      // Without a signal this never resolves: the interface's "listen forever".
      signal?.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    await closeWithin(worker, this.options.drainTimeoutMs ?? 5_000);
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed');
    const ready = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    const delayed = counts.delayed ?? 0;
    return { queued: ready + delayed, ready, delayed };
  }
}

function jobOptions(options: MessageQueueEnqueueOptions | undefined): JobsOptions {
  const delay = options?.delay as Temporal.Duration | undefined;
  const ms =
    delay === undefined ? 0 : Math.max(0, Math.round(delay.total({ unit: 'millisecond' })));
  return {
    ...(ms > 0 ? { delay: ms } : {}),
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
  };
}

/** A `\u` escape of NUL or a lone surrogate in JSON text (not an escaped backslash + `u`). */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/**
 * `message` with NUL characters and lone surrogates in its strings replaced by U+FFFD. Postgres
 * `jsonb` (BullMQ's Postgres backend) refuses both (`unsupported Unicode escape sequence`,
 * `invalid input syntax for type json`), so an inbox activity carrying one failed to enqueue
 * and its sender got a 500 — and retried it for days. Found by test/e2e/inbox-fuzz.e2e-spec.ts.
 * Neither is meaningful text; both queue backends now store the same thing.
 */
export function storable(message: unknown): unknown {
  if (message === undefined) return message;
  const json = JSON.stringify(message);
  // JSON.stringify writes NUL and lone surrogates as escapes (well-formed stringify), paired
  // surrogates as characters; so a matching escape is always one to replace.
  if (!/\\u(?:0000|d[89a-f])/i.test(json)) return message;
  return JSON.parse(json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd')) as unknown;
}

/**
 * Stops taking jobs and waits up to `timeoutMs` for running ones, then closes. A job still running
 * then is abandoned, not lost: its lock lapses and BullMQ's stalled-job check puts it back in the
 * queue for the next worker. (`close()` itself cannot be bounded: a graceful close in progress
 * makes a later forced one wait for it.)
 */
async function closeWithin(worker: WorkerLike, timeoutMs: number): Promise<void> {
  try {
    await settleWithin(worker.pause(), timeoutMs);
  } finally {
    await worker.close(true);
  }
}
