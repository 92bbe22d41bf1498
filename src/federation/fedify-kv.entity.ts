import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One entry of Fedify's key–value store (caches, idempotence markers, circuit-breaker state). */
@Entity({ name: 'fedify_kv' })
@Index('fedify_kv_expires_at_idx', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
export class FedifyKvEntity {
  @PrimaryColumn({ type: 'text', array: true })
  key: string[];

  @Column({ type: 'jsonb' })
  value: unknown;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
