import { Module } from '@nestjs/common';
import { FollowerRepository } from './follower.repository.js';

/** Who follows our actors. */
@Module({
  providers: [FollowerRepository],
  exports: [FollowerRepository],
})
export class FollowersModule {}
