import { Processor } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { ActorKeysService } from '../actors/actor-keys.service.js';
import { actorUrl } from '../actors/actor-urls.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
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
  readonly #activities = new Map<string, Promise<{ body: Uint8Array; key: SigningKey } | null>>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly followers: FollowerRepository,
    private readonly keys: ActorKeysService,
    @Inject(DELIVERY_HOST_HEALTH) private readonly health: HostHealth,
    @Inject(DELIVERY_SLOTS) private readonly slots: HostSlots,
    @Inject(DELIVERY_SENDER) private readonly sender: InboxSender,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {
    super();
  }

  async process(job: DeliveryJob, token?: string): Promise<DeliveryOutcome | number> {
    if (job.name === 'delivery.relay') return this.queue.relay();
    return this.send(job as Job<JobMap['delivery.send']>, token);
  }

  private async send(
    job: Job<JobMap['delivery.send']>,
    token: string | undefined,
  ): Promise<DeliveryOutcome> {
    const { deliveryId, activityId, inbox } = job.data;
    const host = hostOf(inbox);
    const attempt = job.attemptsMade + 1;

    const decision = await this.health.decide(host);
    if (decision.kind === 'skip') {
      await this.deliveries.skipped(deliveryId, decision.reason);
      return 'skipped';
    }
    if (decision.kind === 'wait') {
      if (Date.now() - job.timestamp > GIVE_UP_AFTER_MS * this.config.delivery.retryScale) {
        await this.deliveries.failed(deliveryId, job.attemptsMade, null, decision.reason);
        return 'failed';
      }
      // Spread the wake-ups of a host's waiting deliveries over a few seconds.
      const spread = Math.floor(Math.random() * 5000 * this.config.delivery.retryScale);
      await job.moveToDelayed(decision.untilMs + spread, token);
      throw new DelayedError();
    }

    const activity = await this.activity(activityId);
    if (activity === null) {
      await this.deliveries.skipped(deliveryId, 'activity no longer stored');
      return 'skipped';
    }

    const release = await this.slots.acquire(host);
    let result;
    try {
      result = await this.sender.send(inbox, activity.body, activity.key);
    } finally {
      release();
    }

    const verdict = result.permanent ? 'refused' : verdictFor(result.status);
    const error = result.error ?? '';
    switch (verdict) {
      case 'delivered':
        await this.deliveries.delivered(deliveryId, attempt, result.status ?? 200);
        await this.health.recordSuccess(host);
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
      case 'retry': {
        if (result.status === null || result.status >= 500 || result.status === 408) {
          await this.health.recordFailure(host, error);
        }
        const scheduled = retryDelayMs(attempt, Math.random(), this.config.delivery.retryScale);
        if (scheduled === null) {
          await this.deliveries.failed(deliveryId, attempt, result.status, error);
          return 'failed';
        }
        const delayMs = Math.max(scheduled, result.retryAfterMs ?? 0);
        await this.deliveries.retrying(
          deliveryId,
          attempt,
          result.status,
          error,
          new Date(Date.now() + delayMs),
        );
        throw new RetryLater(`${inbox}: ${error}`, delayMs);
      }
    }
  }

  /** The activity's bytes and its actor's key, once per process. */
  private activity(id: string): Promise<{ body: Uint8Array; key: SigningKey } | null> {
    let hit = this.#activities.get(id);
    if (hit === undefined) {
      hit = this.load(id);
      if (this.#activities.size >= ACTIVITY_CACHE) {
        const oldest = this.#activities.keys().next();
        if (oldest.done !== true) this.#activities.delete(oldest.value);
      }
      this.#activities.set(id, hit);
      hit.catch(() => this.#activities.delete(id));
    }
    return hit;
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
