import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ActorKeysService } from './actor-keys.service.js';
import { ActorRepository } from './actor.repository.js';
import { ActorsController } from './actors.controller.js';
import { ActorsService } from './actors.service.js';

/** Authors, publications and the instance actor: records, handles, keys, admin API. */
@Module({
  imports: [AuthModule],
  controllers: [ActorsController],
  providers: [ActorRepository, ActorsService, ActorKeysService],
  exports: [ActorsService, ActorKeysService],
})
export class ActorsModule {}
