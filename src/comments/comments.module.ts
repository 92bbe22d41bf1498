import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { ArticlesModule } from '../articles/articles.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { CommentIntake } from './comment-intake.js';
import { CommentRepository } from './comment.repository.js';
import { ModerationRepository } from './moderation.repository.js';
import { CommentsController } from './comments.controller.js';
import { ModerationController } from './moderation.controller.js';
import { RepliesController } from './replies.controller.js';
import { ReportsController } from './reports.controller.js';

const memo = new WeakMap<RuntimeConfig, DynamicModule>();

/**
 * Comments: replies from the fediverse stored under stories (the inbox hands them to
 * {@link CommentIntake}) and read back by the platform.
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
        ? [CommentsController, RepliesController, ReportsController, ModerationController]
        : [],
      providers: [CommentRepository, ModerationRepository, CommentIntake],
      exports: [CommentIntake],
    };
    memo.set(config, module);
    return module;
  }
}
