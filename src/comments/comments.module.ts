import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { ArticlesModule } from '../articles/articles.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { CommentIntake } from './comment-intake.js';
import { CommentEventRelay } from './events/comment-event-relay.js';
import { CommentEventsRepository } from './events/comment-events.repository.js';
import { WebhookProcessor } from './events/webhook.processor.js';
import { WebhooksController } from './events/webhooks.controller.js';
import { CommentRepository } from './comment.repository.js';
import { ModerationRepository } from './moderation.repository.js';
import { CommentsController } from './comments.controller.js';
import { ModerationController } from './moderation.controller.js';
import { RepliesController } from './replies.controller.js';
import { ReportsController } from './reports.controller.js';
import { ReplyBack } from './reply-back.js';
import { ReplyBackController } from './reply-back.controller.js';

const memo = new WeakMap<RuntimeConfig, DynamicModule>();

/**
 * Comments: replies from the fediverse stored under stories (the inbox hands them to
 * {@link CommentIntake}) and read back by the platform, which also hears of every change through
 * comment events (Kafka and webhooks, relayed by worker processes).
 */
@Module({})
export class CommentsModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const cached = memo.get(config);
    if (cached !== undefined) return cached;
    const module: DynamicModule = {
      module: CommentsModule,
      imports: [ActorsModule, ArticlesModule, AuthModule],
      controllers: servesHttp(config)
        ? [
            CommentsController,
            RepliesController,
            ReportsController,
            ModerationController,
            ReplyBackController,
            WebhooksController,
          ]
        : [],
      providers: [
        CommentRepository,
        ModerationRepository,
        CommentIntake,
        CommentEventsRepository,
        ReplyBack,
        ...(runsWorkers(config) ? [CommentEventRelay, WebhookProcessor] : []),
      ],
      exports: [CommentIntake, CommentRepository, ReplyBack],
    };
    memo.set(config, module);
    return module;
  }
}
