/** `active`: polled; `failing`: polled with backoff after failures; `disabled`: no longer polled. */
export type FeedStatus = 'active' | 'failing' | 'disabled';

/** WebSub subscription state. */
export type WebSubState = 'none' | 'pending' | 'active' | 'denied';

/** A feed subscription as services see it. */
export interface Feed {
  readonly id: string;
  readonly url: string;
  readonly registeredUrl: string;
  readonly ownerId: string;
  readonly minIntervalS: number;
  readonly maxIntervalS: number;
  readonly backfill: number;
  readonly status: FeedStatus;
  readonly disabledReason: string | null;
  readonly title: string | null;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly baselined: boolean;
  readonly intervalS: number;
  readonly nextPollAt: Date;
  readonly lastPolledAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly lastStatus: number | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly websubHub: string | null;
  readonly websubTopic: string | null;
  readonly websubState: WebSubState;
  readonly websubToken: string;
  readonly websubSecret: string | null;
  readonly websubExpiresAt: Date | null;
  readonly createdAt: Date;
}

/** An item already seen in a feed. */
export interface SeenItem {
  readonly itemKey: string;
  readonly contentHash: string;
  readonly articlePlatformId: string;
  readonly federated: boolean;
}
