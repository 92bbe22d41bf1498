import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';

/**
 * What our actors' outbox and featured collections show, for the federation module's
 * dispatchers. Apart from PublishingModule, which will use the federation module to send.
 */
@Module({
  imports: [ActorsModule],
  providers: [OutboxRepository, OutboxService],
  exports: [OutboxService],
})
export class OutboxModule {}
