import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ActorEntity } from '../actors/actor.entity.js';

/** A remote actor following one of ours. */
@Entity({ name: 'followers' })
@Index('followers_actor_follower_key', ['actorId', 'followerUri'], { unique: true })
@Index('followers_follower_uri_idx', ['followerUri'])
export class FollowerEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Our actor being followed. */
  @Column({ name: 'actor_id', type: 'uuid' })
  actorId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'actor_id' })
  actor?: ActorEntity;

  /** The follower's actor id. */
  @Column({ name: 'follower_uri', type: 'text' })
  followerUri: string;

  @Column({ name: 'inbox_url', type: 'text' })
  inboxUrl: string;

  @Column({ name: 'shared_inbox_url', type: 'text', nullable: true })
  sharedInboxUrl: string | null;

  /** The follower's host (with port when not the default), for per-server views and blocks. */
  @Column({ type: 'varchar', length: 255 })
  host: string;

  /** The id of the Follow activity, echoed in our Accept. */
  @Column({ name: 'follow_activity_id', type: 'text', nullable: true })
  followActivityId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
