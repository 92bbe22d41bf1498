import { Processor } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { type JobMap, QueueName } from '../../queue/jobs.js';
import { AppWorkerHost } from '../../queue/queue-errors.js';
import { commentEventMessage } from './comment-event.js';
import { CommentEventsRepository } from './comment-events.repository.js';
import { signWebhook, WEBHOOK_CONTENT_TYPE } from './webhook-signature.js';

/** How long a webhook endpoint may take to answer. */
const TIMEOUT_MS = 10_000;
/** Characters of an error answer kept with the delivery. */
const ERROR_BODY_CHARS = 300;

/** What one attempt came to. */
export type WebhookOutcome = 'delivered' | 'gone';

/**
 * The `webhooks` queue: POSTs one comment event to one configured URL, as a JWS signed with
 * `COMMENT_WEBHOOK_SECRET` (`Content-Type: application/jose`; `Webhook-Id` and `Webhook-Event`
 * headers repeat the event's id and type). A 2xx is delivered; anything else (no answer, a
 * redirect, any 4xx or 5xx) is retried with exponential backoff, 12 attempts over about 6 hours,
 * then the delivery is marked failed — each attempt is recorded on its row. The URLs are the
 * operator's own (often inside the platform's network), so they are called without the SSRF
 * rules that guard fetches of fediverse URLs; redirects are not followed.
 */
@Processor(QueueName.webhooks, { concurrency: 8 })
export class WebhookProcessor extends AppWorkerHost {
  private readonly logger = new Logger(WebhookProcessor.name);

  constructor(
    private readonly events: CommentEventsRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {
    super();
  }

  async process(job: Job<JobMap['comment.webhook']>): Promise<WebhookOutcome> {
    const { seq, url } = job.data;
    const event = await this.events.event(seq);
    if (event === null) {
      this.logger.warn(`webhook of comment event ${seq} to ${url} dropped: the event was purged`);
      return 'gone';
    }
    const secret = this.config.commentEvents.webhookSecret;
    if (secret === undefined) throw new Error('COMMENT_WEBHOOK_SECRET is not set');
    const message = commentEventMessage(event);
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    let status: number | null = null;
    let problem: string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': WEBHOOK_CONTENT_TYPE,
          'webhook-id': message.id,
          'webhook-event': message.type,
        },
        body: await signWebhook(message, secret),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      if (response.ok) {
        await response.body?.cancel();
        await this.events.recordAttempt(seq, url, {
          status: 'delivered',
          httpStatus: status,
          error: null,
        });
        return 'delivered';
      }
      problem = `HTTP ${status}: ${(await response.text()).slice(0, ERROR_BODY_CHARS)}`;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    await this.events.recordAttempt(seq, url, {
      status: final ? 'failed' : 'pending',
      httpStatus: status,
      error: problem,
    });
    if (final) {
      this.logger.error(
        `webhook of comment event ${seq} to ${url} failed for good after ${job.attemptsMade + 1} attempts: ${problem}`,
      );
    }
    throw new Error(`webhook ${url}: ${problem}`);
  }
}
