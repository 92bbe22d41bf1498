import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Actor } from '../actors/actor.js';
import { ActorKeysService } from '../actors/actor-keys.service.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { type JobMap, PUBLISH_JOB_OPTIONS, QueueName } from '../queue/jobs.js';

/** The outcome of a rotation. */
export interface RotationResult {
  readonly actorId: string;
  /** Follower inboxes the Update(actor) goes to (shared inboxes count once). */
  readonly inboxes: number;
}

/**
 * Rotates an actor's keys and tells its followers: new RSA and Ed25519 keys replace the current
 * ones, then an Update(actor) carrying the new keys is queued to every follower inbox. It goes
 * through the publishing path (`actor.update`), which sends the actor document exactly as it is
 * served, `attributionDomains` and all: an Update replaces what followers' servers hold, so a
 * re-serialized document that lost fields would erase them there. A server that still holds the
 * old key fails to verify, refetches the actor once and finds the new one.
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger(KeyRotationService.name);

  constructor(
    private readonly keys: ActorKeysService,
    private readonly followers: FollowerRepository,
    @InjectQueue(QueueName.publish) private readonly publishQueue: Queue,
  ) {}

  async rotate(actor: Actor): Promise<RotationResult> {
    await this.keys.rotate(actor.id);
    const inboxes = (await this.followers.inboxes([actor.id])).length;
    if (inboxes > 0) {
      await this.publishQueue.add(
        'actor.update',
        { actorId: actor.id } satisfies JobMap['actor.update'],
        {
          ...PUBLISH_JOB_OPTIONS,
          jobId: `actor-update-${actor.id}-keys-${Date.now().toString()}`,
        },
      );
    }
    this.logger.log(
      `rotated keys of ${actor.kind} ${actor.platformId}; Update queued for ${inboxes} inbox(es)`,
    );
    return { actorId: actor.id, inboxes };
  }
}
