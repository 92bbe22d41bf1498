import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One actor the bridge speaks for: an author (`Person`), a publication (`Group`) or the instance
 * actor (`Application`). Authors and publications share this table so that their handles live in
 * one namespace, enforced by the unique index on `handle`.
 */
@Entity({ name: 'actors' })
@Check('actors_kind_check', `kind IN ('author', 'publication', 'instance')`)
@Check('actors_custom_domain_check', `custom_domain IS NULL OR kind = 'publication'`)
@Index('actors_kind_platform_id_key', ['kind', 'platformId'], { unique: true })
@Index('actors_handle_key', ['handle'], { unique: true })
@Index('actors_custom_domain_key', ['customDomain'], { unique: true })
export class ActorEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: 'author' | 'publication' | 'instance';

  /** The platform's id for the author or publication; `instance` for the instance actor. */
  @Column({ name: 'platform_id', type: 'varchar', length: 255 })
  platformId: string;

  /** The WebFinger user part, lower case; unique across authors and publications. */
  @Column({ type: 'varchar', length: 64 })
  handle: string;

  /** The username or slug exactly as the platform gave it. */
  @Column({ name: 'platform_handle', type: 'varchar', length: 255 })
  platformHandle: string;

  @Column({ type: 'text' })
  name: string;

  /** Sanitized HTML (bio or description). */
  @Column({ name: 'summary_html', type: 'text', default: '' })
  summaryHtml: string;

  @Column({ name: 'avatar_url', type: 'text', nullable: true })
  avatarUrl: string | null;

  @Column({ name: 'header_url', type: 'text', nullable: true })
  headerUrl: string | null;

  /** The author's or publication's page on the platform. */
  @Column({ name: 'profile_url', type: 'text', nullable: true })
  profileUrl: string | null;

  @Column({ name: 'profile_links', type: 'jsonb', default: () => `'[]'` })
  profileLinks: { name: string; url: string }[];

  /** Actor ids of the same person or publication elsewhere (for Move, and shown by servers). */
  @Column({ name: 'also_known_as', type: 'jsonb', default: () => `'[]'` })
  alsoKnownAs: string[];

  /** FEP-5feb: whether the author lets servers index their posts for search. */
  @Column({ type: 'boolean', default: false })
  indexable: boolean;

  /** Publications only: a domain of their own on which `@slug@domain` also resolves. */
  @Column({ name: 'custom_domain', type: 'varchar', length: 253, nullable: true })
  customDomain: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
