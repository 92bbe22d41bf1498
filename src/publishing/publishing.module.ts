import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { ArticlesModule } from '../articles/articles.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { CommentsModule } from '../comments/comments.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { DeliveryReportController } from '../delivery/delivery-report.controller.js';
import { DeliveryReportRepository } from '../delivery/delivery-report.repository.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { FollowersModule } from '../followers/followers.module.js';
import { ActorUpdates } from './actor-updates.js';
import { PublishProcessor } from './publish.processor.js';
import { Publisher } from './publisher.js';
import { ReplyPublisher } from './reply-publisher.js';
import { AnswerController } from './answer.controller.js';
import { PublishingWorker } from './publishing.worker.js';
import { ArticleController } from './article.controller.js';
import { AttributionController } from './attribution.controller.js';
import { PinController } from './pin.controller.js';
import { TagController } from './tag.controller.js';

/**
 * Publishing: stories as ActivityPub Articles. Worker processes turn each stored story change
 * (and each changed profile) into activities and queue their deliveries; web processes serve the
 * Article URLs and the publishing API.
 */
@Module({})
export class PublishingModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: PublishingModule,
      imports: [
        ActorsModule,
        ArticlesModule,
        AuthModule,
        CommentsModule.forRoot(config),
        FollowersModule,
        DeliveryModule.forRoot(config),
      ],
      controllers: servesHttp(config)
        ? [
            AnswerController,
            ArticleController,
            AttributionController,
            DeliveryReportController,
            PinController,
            TagController,
          ]
        : [],
      providers: [
        DeliveryReportRepository,
        Publisher,
        ActorUpdates,
        ...(runsWorkers(config) ? [PublishProcessor, PublishingWorker, ReplyPublisher] : []),
      ],
    };
  }
}
