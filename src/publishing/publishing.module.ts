import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { ArticlesModule } from '../articles/articles.module.js';
import { servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { ArticleController } from './article.controller.js';

/**
 * Publishing: stories as ActivityPub Articles. So far the rendering and the object URLs; the
 * publish-job processor and delivery come next.
 */
@Module({})
export class PublishingModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: PublishingModule,
      imports: [ActorsModule, ArticlesModule],
      controllers: servesHttp(config) ? [ArticleController] : [],
    };
  }
}
