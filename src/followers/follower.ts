/** A remote actor following one of ours, as services see it. */
export interface Follower {
  readonly actorId: string;
  readonly followerUri: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly host: string;
  readonly followActivityId: string | null;
  readonly createdAt: Date;
}

/** What is known about a follower when its Follow arrives. */
export interface NewFollower {
  readonly actorId: string;
  readonly followerUri: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly followActivityId: string | null;
}
