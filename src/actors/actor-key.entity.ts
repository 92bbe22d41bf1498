import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ActorEntity } from './actor.entity.js';

/**
 * A signing key of an actor. Each actor has one current RSA key (draft-cavage HTTP signatures) and
 * one current Ed25519 key (RFC 9421, FEP-8b32 proofs); rotation retires them and adds new ones.
 * The private key is stored encrypted with `SECRET_KEY` (see key-vault.ts).
 */
@Entity({ name: 'actor_keys' })
@Check('actor_keys_algorithm_check', `algorithm IN ('rsa', 'ed25519')`)
@Index('actor_keys_current_key', ['actorId', 'algorithm'], {
  unique: true,
  where: 'retired_at IS NULL',
})
export class ActorKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'actor_id', type: 'uuid' })
  actorId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'actor_id' })
  actor?: ActorEntity;

  @Column({ type: 'varchar', length: 16 })
  algorithm: 'rsa' | 'ed25519';

  /** The public key as a JWK. */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: Record<string, unknown>;

  /** The private key as a JWK, sealed by the key vault. */
  @Column({ name: 'private_sealed', type: 'text' })
  privateSealed: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
