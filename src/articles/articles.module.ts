import { Module } from '@nestjs/common';
import { ArticleRepository } from './article.repository.js';

/** Stories as stored: the read side that publishing and the API use. */
@Module({
  providers: [ArticleRepository],
  exports: [ArticleRepository],
})
export class ArticlesModule {}
