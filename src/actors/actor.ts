/** Which kind of actor: author (`Person`), publication (`Group`) or the instance (`Application`). */
export type ActorKind = 'author' | 'publication' | 'instance';

/** A link on a profile, shown by Mastodon as a profile field (FEP-fb2a). */
export interface ProfileLink {
  readonly name: string;
  readonly url: string;
}

/** An actor the bridge speaks for, as services see it. */
export interface Actor {
  /** Internal id; the actor's ActivityPub id is built from it and never changes. */
  readonly id: string;
  readonly kind: ActorKind;
  readonly platformId: string;
  readonly handle: string;
  /** Username or slug as the platform spells it. */
  readonly platformHandle: string;
  readonly name: string;
  readonly summaryHtml: string;
  readonly avatarUrl: string | null;
  readonly headerUrl: string | null;
  readonly profileUrl: string | null;
  readonly profileLinks: readonly ProfileLink[];
  readonly alsoKnownAs: readonly string[];
  readonly indexable: boolean;
  readonly customDomain: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the platform says about an author. */
export interface AuthorProfile {
  readonly username: string;
  readonly displayName: string;
  readonly bio?: string | null;
  readonly avatarUrl?: string | null;
  readonly headerUrl?: string | null;
  readonly profileUrl?: string | null;
  readonly links?: readonly ProfileLink[];
  readonly alsoKnownAs?: readonly string[];
  readonly indexable?: boolean;
}

/** What the platform says about a publication. */
export interface PublicationProfile {
  readonly slug: string;
  readonly name: string;
  readonly description?: string | null;
  readonly avatarUrl?: string | null;
  readonly headerUrl?: string | null;
  readonly url?: string | null;
  readonly customDomain?: string | null;
  readonly alsoKnownAs?: readonly string[];
  /** Platform ids of the publication's authors; replaces the current set when given. */
  readonly members?: readonly string[];
}

/** The fields of an actor row that a profile sets. */
export interface ActorFields {
  readonly platformHandle: string;
  readonly name: string;
  readonly summaryHtml: string;
  readonly avatarUrl: string | null;
  readonly headerUrl: string | null;
  readonly profileUrl: string | null;
  readonly profileLinks: readonly ProfileLink[];
  readonly alsoKnownAs: readonly string[];
  readonly indexable: boolean;
  readonly customDomain: string | null;
}

/** Counts NodeInfo reports. */
export interface ActorCounts {
  readonly total: number;
  readonly activeMonth: number;
  readonly activeHalfyear: number;
}
