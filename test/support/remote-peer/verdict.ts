/** What the peer concluded about a request's signature, and the knobs of that judgement. */

/** The two HTTP signature schemes in the fediverse. */
export type SignatureScheme = 'draft-cavage' | 'rfc9421';

/** The peer's verdict on one request. */
export interface Verdict {
  readonly ok: boolean;
  /** Which scheme the request used; `none` when it carried no signature at all. */
  readonly scheme: SignatureScheme | 'none';
  /** Why it was rejected. */
  readonly reason?: string;
  readonly keyId?: string;
  /** The actor owning the key, once resolved. */
  readonly owner?: string;
  /** The algorithm as the signature named it (`rsa-sha256`, `hs2019`, `rsa-v1_5-sha256`, …). */
  readonly algorithm?: string;
  /** Covered headers (cavage) or component identifiers (RFC 9421), in signed order. */
  readonly covered?: readonly string[];
  /** RFC 9421 signature label, e.g. `sig1`. */
  readonly label?: string;
  /**
   * cavage only: whether `(request-target)` verified with the query (`path-and-query`, the
   * standard) or only after dropping it (`path-only`, what Mastodon still tolerates).
   */
  readonly requestTarget?: 'path-and-query' | 'path-only';
  /** The signing string (cavage) or signature base (RFC 9421) that was checked. */
  readonly signedString?: string;
  /** Whether a cached key failed and the key was fetched again (key rotation). */
  readonly keyRefetched?: boolean;
}

/** Limits and switches of the verifier. */
export interface VerifyPolicy {
  /** The clock; defaults to the real one. */
  readonly now: () => Date;
  /** How far Date / created may be from now, either way (1 hour, like Fedify and Mastodon). */
  readonly clockSkewMs: number;
  /** Accept a cavage `(request-target)` signed without the query string (Mastodon does). */
  readonly acceptPathOnlyRequestTarget: boolean;
}

/** A rejection. */
export function reject(
  scheme: Verdict['scheme'],
  reason: string,
  details: Omit<Verdict, 'ok' | 'scheme' | 'reason'> = {},
): Verdict {
  return { ok: false, scheme, reason, ...details };
}
