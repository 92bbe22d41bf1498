import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { Actor, ActorCounts, ActorFields, ActorKind } from './actor.js';
import { ActorEntity } from './actor.entity.js';
import { MembershipEntity } from './membership.entity.js';
import { violatedUniqueConstraint } from '../database/pg-errors.js';

/** Why a write was refused by a uniqueness rule. */
export type ActorConflict = 'handle' | 'custom-domain';

/** Reads and writes actors and memberships; returns plain {@link Actor}s. */
@Injectable()
export class ActorRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findById(id: string): Promise<Actor | null> {
    return this.db.getRepository(ActorEntity).findOneBy({ id }).then(toActor);
  }

  findByHandle(handle: string): Promise<Actor | null> {
    return this.db.getRepository(ActorEntity).findOneBy({ handle }).then(toActor);
  }

  findByPlatformId(kind: ActorKind, platformId: string): Promise<Actor | null> {
    return this.db.getRepository(ActorEntity).findOneBy({ kind, platformId }).then(toActor);
  }

  findByCustomDomain(domain: string): Promise<Actor | null> {
    return this.db
      .getRepository(ActorEntity)
      .findOneBy({ customDomain: domain, kind: 'publication' })
      .then(toActor);
  }

  /** Every custom domain in use, lower case. */
  async customDomains(): Promise<string[]> {
    const rows: { custom_domain: string }[] = await this.db.query(
      'SELECT custom_domain FROM actors WHERE custom_domain IS NOT NULL',
    );
    return rows.map((r) => r.custom_domain);
  }

  /** Which of `handles` belong to an actor other than `exceptId`. */
  async takenHandles(handles: readonly string[], exceptId: string | null): Promise<Set<string>> {
    const rows: { handle: string }[] = await this.db.query(
      'SELECT handle FROM actors WHERE handle = ANY($1) AND ($2::uuid IS NULL OR id <> $2::uuid)',
      [handles, exceptId],
    );
    return new Set(rows.map((r) => r.handle));
  }

  /**
   * Inserts a new actor, or a conflict value when a unique handle or custom domain is taken
   * meanwhile. A concurrent insert of the same platform id surfaces as `platform-id`.
   */
  async insert(
    kind: ActorKind,
    platformId: string,
    handle: string,
    fields: ActorFields,
  ): Promise<Actor | ActorConflict | 'platform-id'> {
    try {
      const repo = this.db.getRepository(ActorEntity);
      const saved = await repo.save(
        repo.create({ kind, platformId, handle, ...toColumns(fields) }),
      );
      return toActor(saved) as Actor;
    } catch (error) {
      return conflictOf(error, true);
    }
  }

  /** Updates an actor's handle and fields; a conflict value when a unique value is taken. */
  async update(id: string, handle: string, fields: ActorFields): Promise<Actor | ActorConflict> {
    try {
      await this.db
        .getRepository(ActorEntity)
        .update({ id }, { handle, ...toColumns(fields), updatedAt: () => 'now()' });
    } catch (error) {
      const conflict = conflictOf(error, false);
      if (conflict === 'platform-id') throw error;
      return conflict;
    }
    const actor = await this.findById(id);
    if (actor === null) throw new Error(`actor ${id} vanished during update`);
    return actor;
  }

  /** The instance actor, created on first use. */
  async instanceActor(name: string): Promise<Actor> {
    await this.db.query(
      `INSERT INTO actors (kind, platform_id, handle, platform_handle, name)
       VALUES ('instance', 'instance', 'instance', 'instance', $1)
       ON CONFLICT DO NOTHING`,
      [name],
    );
    const actor = await this.findByPlatformId('instance', 'instance');
    if (actor === null) throw new Error('instance actor could not be created');
    return actor;
  }

  /** Replaces the set of authors of a publication. */
  async setMembers(publicationId: string, authorIds: readonly string[]): Promise<void> {
    await this.db.transaction(async (tx: EntityManager) => {
      await tx.query(
        'DELETE FROM publication_members WHERE publication_id = $1 AND NOT (author_id = ANY($2))',
        [publicationId, authorIds],
      );
      if (authorIds.length > 0) {
        await tx
          .createQueryBuilder()
          .insert()
          .into(MembershipEntity)
          .values(authorIds.map((authorId) => ({ publicationId, authorId })))
          .orIgnore()
          .execute();
      }
    });
  }

  /** Adds one author to a publication (ingestion: an article names both). */
  async addMember(publicationId: string, authorId: string): Promise<void> {
    await this.db.query(
      'INSERT INTO publication_members (publication_id, author_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [publicationId, authorId],
    );
  }

  /** Authors of a publication. */
  async members(publicationId: string): Promise<Actor[]> {
    const rows = await this.db
      .getRepository(ActorEntity)
      .createQueryBuilder('a')
      .innerJoin(MembershipEntity, 'm', 'm.author_id = a.id')
      .where('m.publication_id = :publicationId', { publicationId })
      .orderBy('m.created_at')
      .getMany();
    return rows.map((r) => toActor(r) as Actor);
  }

  /** Publications an author writes for. */
  async publicationsOf(authorId: string): Promise<Actor[]> {
    const rows = await this.db
      .getRepository(ActorEntity)
      .createQueryBuilder('p')
      .innerJoin(MembershipEntity, 'm', 'm.publication_id = p.id')
      .where('m.author_id = :authorId', { authorId })
      .orderBy('m.created_at')
      .getMany();
    return rows.map((r) => toActor(r) as Actor);
  }

  /** Actors by platform id, for membership lists; missing ids are simply absent. */
  async findAuthorsByPlatformIds(platformIds: readonly string[]): Promise<Actor[]> {
    if (platformIds.length === 0) return [];
    const rows = await this.db
      .getRepository(ActorEntity)
      .findBy({ kind: 'author', platformId: In([...platformIds]) });
    return rows.map((r) => toActor(r) as Actor);
  }

  /**
   * Authors and publications (not the instance actor): all of them, and those whose profile or
   * content changed within 30 and 180 days. The publishing issue moves "active" to stories.
   */
  async counts(): Promise<ActorCounts> {
    // Active: the profile changed, or a story by the author (or in the publication) was
    // published, within the window.
    const [row] = await this.db.query<{ total: number; month: number; halfyear: number }[]>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE greatest(a.updated_at, s.last_published) > now() - interval '30 days')::int AS month,
              count(*) FILTER (WHERE greatest(a.updated_at, s.last_published) > now() - interval '180 days')::int AS halfyear
         FROM actors a
         LEFT JOIN LATERAL (
           SELECT max(published_at) AS last_published FROM articles
            WHERE primary_author_id = a.id OR publication_id = a.id
         ) s ON true
        WHERE a.kind <> 'instance'`,
    );
    return {
      total: row?.total ?? 0,
      activeMonth: row?.month ?? 0,
      activeHalfyear: row?.halfyear ?? 0,
    };
  }
}

function toColumns(fields: ActorFields): Partial<ActorEntity> {
  return {
    platformHandle: fields.platformHandle,
    name: fields.name,
    summaryHtml: fields.summaryHtml,
    avatarUrl: fields.avatarUrl,
    headerUrl: fields.headerUrl,
    profileUrl: fields.profileUrl,
    profileLinks: fields.profileLinks.map((l) => ({ name: l.name, url: l.url })),
    alsoKnownAs: [...fields.alsoKnownAs],
    indexable: fields.indexable,
    customDomain: fields.customDomain,
  };
}

function toActor(row: ActorEntity | null): Actor | null {
  if (row === null) return null;
  return {
    id: row.id,
    kind: row.kind,
    platformId: row.platformId,
    handle: row.handle,
    platformHandle: row.platformHandle,
    name: row.name,
    summaryHtml: row.summaryHtml,
    avatarUrl: row.avatarUrl,
    headerUrl: row.headerUrl,
    profileUrl: row.profileUrl,
    profileLinks: row.profileLinks,
    alsoKnownAs: row.alsoKnownAs,
    indexable: row.indexable,
    customDomain: row.customDomain,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Maps a unique violation to what was taken; rethrows anything else. */
function conflictOf(error: unknown, inserting: boolean): ActorConflict | 'platform-id' {
  const constraint = violatedUniqueConstraint(error);
  if (constraint === 'actors_handle_key') return 'handle';
  if (constraint === 'actors_custom_domain_key') return 'custom-domain';
  if (inserting && constraint === 'actors_kind_platform_id_key') return 'platform-id';
  throw error;
}
