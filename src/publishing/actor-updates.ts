import { randomUUID } from 'node:crypto';
import type { Federation } from '@fedify/fedify';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { actorUrl } from '../actors/actor-urls.js';
import { ActorsService } from '../actors/actors.service.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { DeliveryRepository } from '../delivery/delivery.repository.js';
import { FEDERATION } from '../federation/federation.tokens.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { activityUrl, actorUpdateActivity } from './activities.js';
import { followersUrl } from './article-urls.js';

/**
 * Update(Person/Group) to an actor's followers after its profile changed. The object is the
 * actor document exactly as the bridge serves it (asked of Fedify, like a remote server would),
 * so what followers cache equals what they would fetch.
 */
@Injectable()
export class ActorUpdates {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly actors: ActorsService,
    private readonly followers: FollowerRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async send(actorId: string): Promise<{ activityIds: string[] }> {
    const actor = await this.actors.findById(actorId);
    if (actor === null || actor.kind === 'instance') return { activityIds: [] };
    const inboxes = await this.followers.inboxes([actor.id]);
    if (inboxes.length === 0) return { activityIds: [] };
    const url = actorUrl(this.config.publicUrl, actor.id);
    const document = await this.document(url);
    const id = randomUUID();
    const uri = activityUrl(this.config.publicUrl, id).href;
    const body = actorUpdateActivity(
      uri,
      document,
      followersUrl(this.config.publicUrl, actor.id).href,
      new Date(),
    );
    await this.db.transaction(async (tx) => {
      await this.deliveries.insertActivity(tx, {
        id,
        uri,
        type: 'Update',
        actorId: actor.id,
        articleId: null,
        objectUri: url.href,
        body,
        inboxes,
      });
      await this.deliveries.supersedeActorUpdates(tx, actor.id, id);
    });
    return { activityIds: [id] };
  }

  private async document(url: URL): Promise<Record<string, unknown>> {
    const federation = this.moduleRef.get<Federation<void>>(FEDERATION, { strict: false });
    const response = await federation.fetch(
      new Request(url, { headers: { accept: 'application/activity+json' } }),
      { contextData: undefined },
    );
    if (!response.ok) throw new Error(`actor document ${url.href} answered ${response.status}`);
    const json: unknown = await response.json();
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new Error(`actor document ${url.href} is not a JSON object`);
    }
    return json as Record<string, unknown>;
  }
}
