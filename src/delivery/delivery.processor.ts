import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { ActorKeysService } from '../actors/actor-keys.service.js';
import { actorUrl } from '../actors/actor-urls.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { Metrics } from '../metrics/metrics.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DeliveryRepository, hostOf } from './delivery.repository.js';
import { HostHealth } from './host-health.js';
import { HostSlots } from './host-slots.js';
import { InboxSender, type SigningKey } from './inbox-sender.js';
import { RETRY_SCHEDULE_MS, retryDelayMs, verdictFor } from './retry-policy.js';
import { DELIVERY_HOST_HEALTH, DELIVERY_SENDER, DELIVERY_SLOTS } from './delivery.tokens.js';

/** What one `delivery.send` job came to. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone' | 'skipped' | 'waiting';

/** A failed attempt the queue should repeat after `delayMs`. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** BullMQ's backoff for `delivery.send`: the delay the processor chose. */
export function deliveryBackoff(attemptsMade: number, _type?: string, error?: Error): number {
  if (error instanceof RetryLater) return error.delayMs;
  return retryDelayMs(attemptsMade) ?? RETRY_SCHEDULE_MS.at(-1) ?? 60_000;
}

/** A delivery waiting on an open breaker gives up once this old (the retry schedule's span). */
const GIVE_UP_AFTER_MS = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);

/** Activities kept serialized in memory per process (a fan-out reads its activity once). */
const ACTIVITY_CACHE = 256;
const ACTIVITY_TTL_MS = 60_000;

type DeliveryJob = Job<JobMap['delivery.send'] | JobMap['delivery.relay']>;

/**
 * The `deliver` queue. `delivery.send` POSTs one stored activity to one inbox and records the
 * outcome on its `deliveries` row:
 *
 * - 2xx → delivered.
 * - No answer, 5xx, 401, 408, 429 → retried on the schedule of retry-policy.ts (about two days;
 *   `Retry-After` is honoured when longer), then failed. No answer, 5xx and 408 also count
 *   against the host (circuit breaker, unavailable days).
 * - 410 → failed, and every follower behind that inbox is removed.
 * - Any other 4xx, a redirect, or an address the SSRF rules refuse → failed at once.
 * - Host unavailable → skipped; breaker open → the job waits (no attempt used) until the breaker
 *   lets a probe through.
 *
 * At most `DELIVERY_HOST_CONCURRENCY` requests per host are in flight in one process.
 */
@Processor(QueueName.deliver, { settings: { backoffStrategy: deliveryBackoff } })
export class DeliveryProcessor extends AppWorkerHost {
  private readonly logger = new Logger(DeliveryProcessor.name);
  readonly #activities = new Map<
    string,
    { at: number; value: Promise<{ body: Uint8Array; key: SigningKey } | null> }
  >();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly followers: FollowerRepository,
    private readonly keys: ActorKeysService,
    @Inject(DELIVERY_HOST_HEALTH) private readonly health: HostHealth,
    @Inject(DELIVERY_SLOTS) private readonly slots: HostSlots,
    @Inject(DELIVERY_SENDER) private readonly sender: InboxSender,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  async process(job: DeliveryJob, token?: string): Promise<DeliveryOutcome | number> {
    if (job.name === 'delivery.relay') return this.queue.relay();
    const send = job as Job<JobMap['delivery.send']>;
    try {
      const outcome = await this.attempt(send, token);
      this.metrics.delivery(outcome);
      return outcome;
    } catch (error) {
      // Thrown: put back without using an attempt (DelayedError), or an attempt to repeat.
      this.metrics.delivery(error instanceof DelayedError ? 'waiting' : 'retry');
      throw error;
    }
  }

  private async attempt(
    send: Job<JobMap['delivery.send']>,
    token: string | undefined,
  ): Promise<DeliveryOutcome> {
    try {
      return await this.send(send, token);
    } catch (error) {
      if (error instanceof RetryLater || error instanceof DelayedError) throw error;
      // An outage (database, keys) or a bug: retried on the same schedule as a failed POST, so
      // the attempt count and the record stay right; logged, since it is not the receiver's doing.
      this.logger.warn(`delivery ${send.data.deliveryId} to ${send.data.inbox}: ${String(error)}`);
      return this.retryOrFail(send, null, `internal: ${String(error)}`, null);
    }
  }

  /** A delivery job BullMQ gave up on (it stalled too often): recorded, never left pending. */
  @OnWorkerEvent('failed')
  async onFailed(job: DeliveryJob | undefined, error: Error): Promise<void> {
    // Only a final failure: BullMQ sets `finishedOn` when it will not retry the job (attempts
    // used up, or stalled more often than allowed), not on a failure it schedules again.
    if (job?.name !== 'delivery.send' || job.finishedOn === undefined) return;
    const { deliveryId } = job.data as JobMap['delivery.send'];
    await this.deliveries
      .failed(deliveryId, job.attemptsMade, null, `gave up: ${error.message}`)
      .catch((e: unknown) => {
        this.logger.warn(`delivery ${deliveryId} not marked failed: ${String(e)}`);
      });
  }

  private async send(
    job: Job<JobMap['delivery.send']>,
    token: string | undefined,
  ): Promise<DeliveryOutcome> {
    const { deliveryId, activityId, inbox } = job.data;
    const host = hostOf(inbox);
    const attempt = job.attemptsMade + 1;
    const scale = this.config.delivery.retryScale;

    // Superseded (a Delete made it pointless) or already settled by an earlier copy of the job.
    if (!(await this.deliveries.isPending(deliveryId))) return 'skipped';

    const decision = await this.health.decide(host);
    if (decision.kind === 'skip') {
      await this.deliveries.skipped(deliveryId, decision.reason);
      return 'skipped';
    }
    if (decision.kind === 'wait') {
      if (Date.now() - job.timestamp > GIVE_UP_AFTER_MS * scale) {
        await this.deliveries.failed(deliveryId, job.attemptsMade, null, decision.reason);
        return 'failed';
      }
      // Spread the wake-ups of a host's waiting deliveries over a few seconds.
      const at = decision.untilMs + Math.floor(Math.random() * 5000 * scale);
      await this.deliveries.waiting(deliveryId, new Date(at));
      return this.later(job, token, at);
    }

    const activity = await this.activity(activityId);
    if (activity === null) {
      await this.deliveries.skipped(deliveryId, 'activity no longer stored');
      return 'skipped';
    }

    // A host at its cap: this job steps aside (no attempt used) instead of holding a worker
    // slot that deliveries to other hosts could use.
    const release = this.slots.tryAcquire(host);
    if (release === null) return this.later(job, token, Date.now() + 200 + Math.random() * 300);
    let result;
    const started = performance.now();
    try {
      result = await this.sender.send(inbox, activity.body, activity.key);
    } finally {
      release();
    }
    this.metrics.deliveryAttempt(result.status, (performance.now() - started) / 1000);

    const verdict = result.permanent ? 'refused' : verdictFor(result.status);
    const error = result.error ?? '';
    switch (verdict) {
      case 'delivered':
        await this.deliveries.delivered(deliveryId, attempt, result.status ?? 200);
        await this.health.recordSuccess(host);
        this.metrics.delivered((Date.now() - job.timestamp) / 1000);
        return 'delivered';
      case 'gone': {
        await this.deliveries.failed(deliveryId, attempt, result.status, error);
        const removed = await this.followers.removeAtInbox(inbox);
        await this.health.recordSuccess(host);
        this.logger.log(`${inbox} answered 410 Gone: ${removed} follower(s) behind it removed`);
        return 'gone';
      }
      case 'refused':
        await this.deliveries.failed(deliveryId, attempt, result.status, error);
        if (result.status !== null) await this.health.recordSuccess(host);
        return 'failed';
      case 'retry':
        if (result.status === null || result.status >= 500 || result.status === 408) {
          await this.health.recordFailure(host, error);
        }
        return this.retryOrFail(job, result.status, error, result.retryAfterMs);
    }
  }

  /**
   * Records a failed attempt and throws {@link RetryLater} with the next delay, or, after the
   * last attempt, records the delivery as failed.
   */
  private async retryOrFail(
    job: Job<JobMap['delivery.send']>,
    status: number | null,
    error: string,
    retryAfterMs: number | null,
  ): Promise<DeliveryOutcome> {
    const { deliveryId, inbox } = job.data;
    const attempt = job.attemptsMade + 1;
    const scheduled = retryDelayMs(attempt, Math.random(), this.config.delivery.retryScale);
    if (scheduled === null) {
      await this.deliveries.failed(deliveryId, attempt, status, error);
      return 'failed';
    }
    const delayMs = Math.max(scheduled, retryAfterMs ?? 0);
    await this.deliveries
      .retrying(deliveryId, attempt, status, error, new Date(Date.now() + delayMs))
      .catch((e: unknown) => {
        // The database may be what failed; the job is retried all the same.
        this.logger.warn(`delivery ${deliveryId} retry not recorded: ${String(e)}`);
      });
    throw new RetryLater(`${inbox}: ${error}`, delayMs);
  }

  /** Puts the job back until `at` without using an attempt. */
  private async later(
    job: Job<JobMap['delivery.send']>,
    token: string | undefined,
    at: number,
  ): Promise<never> {
    await job.moveToDelayed(Math.round(at), token);
    throw new DelayedError();
  }

  /**
   * The activity's bytes and its actor's key, kept a minute per process (a fan-out reads them
   * once; a key rotation is picked up by retries within a minute).
   */
  private activity(id: string): Promise<{ body: Uint8Array; key: SigningKey } | null> {
    const hit = this.#activities.get(id);
    if (hit !== undefined && Date.now() - hit.at < ACTIVITY_TTL_MS) return hit.value;
    const value = this.load(id);
    if (this.#activities.size >= ACTIVITY_CACHE) {
      const oldest = this.#activities.keys().next();
      if (oldest.done !== true) this.#activities.delete(oldest.value);
    }
    this.#activities.set(id, { at: Date.now(), value });
    value.catch(() => this.#activities.delete(id));
    return value;
  }

  private async load(id: string): Promise<{ body: Uint8Array; key: SigningKey } | null> {
    const stored = await this.deliveries.activity(id);
    if (stored === null) return null;
    const pairs = await this.keys.keyPairs(stored.actorId);
    const rsa = pairs.find((p) => p.algorithm === 'rsa');
    if (rsa === undefined) throw new Error(`actor ${stored.actorId} has no RSA key`);
    return {
      body: new TextEncoder().encode(JSON.stringify(stored.body)),
      key: {
        // Fedify names an actor's first key `#main-key` in its actor document.
        keyId: new URL('#main-key', actorUrl(this.config.publicUrl, stored.actorId)),
        privateKey: rsa.privateKey,
      },
    };
  }
}
