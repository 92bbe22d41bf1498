import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { type JobMap, PUBLISH_JOB_OPTIONS, QueueName } from '../queue/jobs.js';
import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  UnprocessableEntityException,
} from '@nestjs/common';
import { sanitizeProfileHtml } from '../common/html.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import type {
  Actor,
  ActorCounts,
  ActorFields,
  ActorKind,
  AuthorProfile,
  PublicationProfile,
} from './actor.js';
import { ActorKeysService } from './actor-keys.service.js';
import { ActorRepository } from './actor.repository.js';
import { handleCandidates, normalizeHandle } from './handle.js';

/** How many collision suffixes are looked up at once. */
const CANDIDATE_BATCH = 20;
/** Attempts when a concurrent writer takes the chosen handle first. */
const MAX_ATTEMPTS = 5;

/** Profile changes this close together are sent as one Update. */
const PROFILE_UPDATE_WINDOW_MS = 3000;

/** Options of {@link ActorsService.upsertAuthor} and {@link ActorsService.upsertPublication}. */
export interface UpsertOptions {
  /** Keep stored values for fields the profile leaves `undefined` (partial profiles in events). */
  readonly merge?: boolean;
}

/** The outcome of creating or updating an actor from a profile. */
export interface UpsertResult {
  readonly actor: Actor;
  readonly created: boolean;
  /** Whether anything that followers see changed (the publishing issue sends Update then). */
  readonly changed: boolean;
}

/**
 * Authors and publications: created and updated from platform profiles (admin API now, ingestion
 * next), with handles assigned by the rule in handle.ts.
 */
@Injectable()
export class ActorsService {
  private readonly logger = new Logger(ActorsService.name);

  constructor(
    private readonly actors: ActorRepository,
    private readonly keys: ActorKeysService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    @InjectQueue(QueueName.publish) private readonly publishQueue: Queue,
  ) {}

  findById(id: string): Promise<Actor | null> {
    return this.actors.findById(id);
  }

  findByHandle(handle: string): Promise<Actor | null> {
    return this.actors.findByHandle(handle.toLowerCase());
  }

  findByPlatformId(kind: ActorKind, platformId: string): Promise<Actor | null> {
    return this.actors.findByPlatformId(kind, platformId);
  }

  findByCustomDomain(domain: string): Promise<Actor | null> {
    return this.actors.findByCustomDomain(domain.toLowerCase());
  }

  customDomains(): Promise<string[]> {
    return this.actors.customDomains();
  }

  instanceActor(): Promise<Actor> {
    return this.actors.instanceActor(this.config.publicUrl.host);
  }

  members(publicationId: string): Promise<Actor[]> {
    return this.actors.members(publicationId);
  }

  publicationsOf(authorId: string): Promise<Actor[]> {
    return this.actors.publicationsOf(authorId);
  }

  counts(): Promise<ActorCounts> {
    return this.actors.counts();
  }

  /**
   * Creates or updates the author with this platform id. With `merge` (ingestion), fields the
   * profile leaves `undefined` keep their stored values instead of being reset.
   */
  upsertAuthor(
    platformId: string,
    profile: AuthorProfile,
    options: UpsertOptions = {},
  ): Promise<UpsertResult> {
    return this.upsert('author', platformId, (existing) => {
      const keep = options.merge === true ? existing : null;
      return {
        platformHandle: profile.username,
        name: profile.displayName.trim() === '' ? profile.username : profile.displayName.trim(),
        summaryHtml:
          profile.bio === undefined && keep ? keep.summaryHtml : sanitizeProfileHtml(profile.bio),
        avatarUrl: pick(profile.avatarUrl, keep?.avatarUrl),
        headerUrl: pick(profile.headerUrl, keep?.headerUrl),
        profileUrl: pick(profile.profileUrl, keep?.profileUrl),
        profileLinks: profile.links ?? keep?.profileLinks ?? [],
        alsoKnownAs: profile.alsoKnownAs ?? keep?.alsoKnownAs ?? [],
        indexable: profile.indexable ?? keep?.indexable ?? false,
        customDomain: null,
      };
    });
  }

  /**
   * Creates or updates the publication with this platform id, and its members when given. With
   * `merge` (ingestion), fields the profile leaves `undefined` keep their stored values.
   */
  async upsertPublication(
    platformId: string,
    profile: PublicationProfile,
    options: UpsertOptions = {},
  ): Promise<UpsertResult> {
    const customDomain =
      profile.customDomain === undefined
        ? undefined
        : (profile.customDomain?.toLowerCase() ?? null);
    if (customDomain != null && customDomain === this.config.publicUrl.hostname) {
      throw new UnprocessableEntityException({
        error: 'invalid_custom_domain',
        message: `customDomain ${customDomain} is the bridge's own host`,
      });
    }
    let memberIds: string[] | undefined;
    if (profile.members !== undefined) {
      const wanted = [...new Set(profile.members)];
      const found = await this.actors.findAuthorsByPlatformIds(wanted);
      const missing = wanted.filter((id) => !found.some((a) => a.platformId === id));
      if (missing.length > 0) {
        throw new UnprocessableEntityException({
          error: 'unknown_authors',
          message: `members not found (create them first): ${missing.join(', ')}`,
          missing,
        });
      }
      memberIds = found.map((a) => a.id);
    }
    const result = await this.upsert('publication', platformId, (existing) => {
      const keep = options.merge === true ? existing : null;
      return {
        platformHandle: profile.slug,
        name: profile.name.trim() === '' ? profile.slug : profile.name.trim(),
        summaryHtml:
          profile.description === undefined && keep
            ? keep.summaryHtml
            : sanitizeProfileHtml(profile.description),
        avatarUrl: pick(profile.avatarUrl, keep?.avatarUrl),
        headerUrl: pick(profile.headerUrl, keep?.headerUrl),
        profileUrl: pick(profile.url, keep?.profileUrl),
        profileLinks: keep?.profileLinks ?? [],
        alsoKnownAs: profile.alsoKnownAs ?? keep?.alsoKnownAs ?? [],
        indexable: true,
        customDomain: pick(customDomain, keep?.customDomain),
      };
    });
    if (memberIds !== undefined) await this.actors.setMembers(result.actor.id, memberIds);
    return result;
  }

  /** Adds an author to a publication (idempotent). */
  addMember(publicationId: string, authorId: string): Promise<void> {
    return this.actors.addMember(publicationId, authorId);
  }

  private async upsert(
    kind: ActorKind,
    platformId: string,
    fieldsFor: (existing: Actor | null) => ActorFields,
  ): Promise<UpsertResult> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const existing = await this.actors.findByPlatformId(kind, platformId);
      const fields = fieldsFor(existing);
      const handle = await this.chooseHandle(fields.platformHandle, existing);
      // Events repeat their authors' profiles: an unchanged one costs no write.
      if (existing !== null && existing.handle === handle && sameFields(existing, fields)) {
        return { actor: existing, created: false, changed: false };
      }
      const outcome =
        existing === null
          ? await this.actors.insert(kind, platformId, handle, fields)
          : await this.actors.update(existing.id, handle, fields);
      if (outcome === 'custom-domain') {
        throw new ConflictException({
          error: 'custom_domain_taken',
          message: `customDomain ${fields.customDomain ?? ''} belongs to another publication`,
        });
      }
      if (outcome === 'handle' || outcome === 'platform-id') continue; // lost a race; look again
      // Keys are made once, when the actor is created, so the first fetch does not wait for them.
      if (existing === null) await this.keys.keyPairs(outcome.id);
      if (existing !== null && existing.handle !== outcome.handle) {
        this.logger.log(`${kind} ${platformId}: handle ${existing.handle} → ${outcome.handle}`);
      }
      const changed = existing === null || visibleChange(existing, outcome);
      if (existing !== null && changed) await this.announceProfileChange(outcome.id);
      return { actor: outcome, created: existing === null, changed };
    }
    throw new Error(
      `could not assign a handle to ${kind} ${platformId} after ${MAX_ATTEMPTS} attempts`,
    );
  }

  /**
   * Queues an Update of the actor to its followers (publishing sends it). Best effort: the
   * profile is stored either way, and a queue outage must not refuse it.
   */
  private async announceProfileChange(actorId: string): Promise<void> {
    try {
      await this.publishQueue.add('actor.update', { actorId } satisfies JobMap['actor.update'], {
        // A burst of changes to one profile within a few seconds makes one Update.
        jobId: `actor-update-${actorId}-${Math.floor(Date.now() / PROFILE_UPDATE_WINDOW_MS)}`,
        ...PUBLISH_JOB_OPTIONS,
        delay: PROFILE_UPDATE_WINDOW_MS,
      });
    } catch (error) {
      this.logger.warn(`Update of actor ${actorId} not queued: ${String(error)}`);
    }
  }

  /** The actor's handle: kept while its username or slug normalizes the same, else the first free. */
  private async chooseHandle(platformHandle: string, existing: Actor | null): Promise<string> {
    if (
      existing !== null &&
      normalizeHandle(existing.platformHandle) === normalizeHandle(platformHandle)
    ) {
      return existing.handle;
    }
    const candidates = handleCandidates(platformHandle);
    for (;;) {
      const batch: string[] = [];
      for (const c of candidates) {
        batch.push(c);
        if (batch.length === CANDIDATE_BATCH) break;
      }
      const taken = await this.actors.takenHandles(batch, existing?.id ?? null);
      const free = batch.find((c) => !taken.has(c));
      if (free !== undefined) return free;
    }
  }
}

/** The given value; the kept one when the given is `undefined`; else null. */
function pick<T>(given: T | null | undefined, kept: T | null | undefined): T | null {
  return given === undefined ? (kept ?? null) : given;
}

/** Whether storing `fields` would leave the actor as it is. */
function sameFields(actor: Actor, fields: ActorFields): boolean {
  return (
    actor.platformHandle === fields.platformHandle &&
    actor.name === fields.name &&
    actor.summaryHtml === fields.summaryHtml &&
    actor.avatarUrl === fields.avatarUrl &&
    actor.headerUrl === fields.headerUrl &&
    actor.profileUrl === fields.profileUrl &&
    JSON.stringify(actor.profileLinks) === JSON.stringify(fields.profileLinks) &&
    JSON.stringify(actor.alsoKnownAs) === JSON.stringify(fields.alsoKnownAs) &&
    actor.indexable === fields.indexable &&
    actor.customDomain === fields.customDomain
  );
}

function visibleChange(before: Actor, after: Actor): boolean {
  const shape = (a: Actor): string =>
    JSON.stringify([
      a.handle,
      a.name,
      a.summaryHtml,
      a.avatarUrl,
      a.headerUrl,
      a.profileUrl,
      a.profileLinks,
      a.alsoKnownAs,
      a.indexable,
      a.customDomain,
    ]);
  return shape(before) !== shape(after);
}
