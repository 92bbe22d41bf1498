import { inspect } from 'node:util';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { parseScopeClaim, type Scope } from './scopes.js';

/** How a {@link TokenVerifier} checks tokens. At least one of the two key sources should be set. */
export interface TokenVerifierOptions {
  /** HS256 shared secret (`API_JWT_SECRET`), at least 32 characters. */
  readonly jwtSecret?: string | undefined;
  /** Where the platform publishes its public keys for RS256/EdDSA tokens (`API_JWKS_URL`). */
  readonly jwksUrl?: URL | undefined;
  /** Leeway for `exp` and `nbf` against clock skew between the platform and the bridge. */
  readonly clockToleranceSec?: number;
}

/** A token that passed every check. */
export interface VerifiedToken {
  readonly ok: true;
  /** The `sub` claim: who or what the platform issued the token to. */
  readonly subject: string | undefined;
  /** The scopes from the `scope` claim that the bridge knows. */
  readonly scopes: ReadonlySet<Scope>;
  readonly claims: JWTPayload;
}

/**
 * A token that was not accepted.
 *
 * - `invalid`: the token itself is at fault (expired, bad signature, unknown key...): 401.
 * - `unavailable`: the bridge could not check it (JWKS unreachable, auth not configured); the
 *   token may well be fine, so this is the bridge's problem: 503.
 */
export interface Rejection {
  readonly ok: false;
  readonly kind: 'invalid' | 'unavailable';
  /** One line for the caller, e.g. "token expired". Never contains key material or addresses. */
  readonly reason: string;
  /** For the operator's log only: the underlying error, which may name internal hosts. */
  readonly detail?: string;
}

/** The algorithms accepted, and which key source checks each. */
const SYMMETRIC = ['HS256'] as const;
const ASYMMETRIC = ['RS256', 'EdDSA'] as const;
const SECRET_MIN_LENGTH = 32;
const DEFAULT_CLOCK_TOLERANCE_SEC = 30;

/** Thrown from the JWKS key lookup when the key set could not be obtained at all. */
class JwksUnavailable extends Error {
  constructor(readonly error: unknown) {
    super('JWKS unavailable');
  }
}

/**
 * Verifies the bearer tokens of the platform-facing API.
 *
 * HS256 tokens are checked against the shared secret only, RS256 and EdDSA tokens against the
 * JWKS only; which one is chosen by the header's `alg`, and each verification is restricted to
 * its own algorithms, so a token signed with HMAC over a public key (algorithm confusion) can
 * never verify. `none` and every other algorithm are refused. `exp` is required.
 *
 * The JWKS is fetched with jose's `createRemoteJWKSet`: cached for 10 minutes, refetched when a
 * token names an unknown `kid` (at most every 30 seconds), fetched with a 5 second timeout.
 */
export class TokenVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly clockTolerance: number;

  /** @throws Error when `jwtSecret` is shorter than 32 characters (config validates this). */
  constructor(options: TokenVerifierOptions) {
    if (options.jwtSecret !== undefined) {
      if (options.jwtSecret.length < SECRET_MIN_LENGTH) {
        throw new Error(`the API JWT secret must be at least ${SECRET_MIN_LENGTH} characters`);
      }
      this.secret = new TextEncoder().encode(options.jwtSecret);
    }
    if (options.jwksUrl !== undefined) this.jwks = lookupIn(createRemoteJWKSet(options.jwksUrl));
    this.clockTolerance = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  }

  /** Whether any key source is configured; without one every token is rejected as unavailable. */
  get configured(): boolean {
    return this.secret !== undefined || this.jwks !== undefined;
  }

  /**
   * Checks `token` (the compact JWS, without `Bearer `). Never throws for a bad or unverifiable
   * token: the outcome is a {@link VerifiedToken} or a {@link Rejection} saying why.
   */
  async verify(token: string): Promise<VerifiedToken | Rejection> {
    if (!this.configured) {
      return unavailable(
        'API authentication is not configured (set API_JWT_SECRET or API_JWKS_URL)',
      );
    }

    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return invalid('malformed token: not a compact JWS (header.payload.signature)');
    }
    if (typeof alg !== 'string') return invalid('malformed token: header has no alg');
    if (alg.toLowerCase() === 'none') return invalid('unsigned tokens (alg none) are not accepted');

    const options = {
      requiredClaims: ['exp'],
      clockTolerance: this.clockTolerance,
    };
    let payload: JWTPayload;
    try {
      if (isOneOf(alg, SYMMETRIC)) {
        if (this.secret === undefined) {
          return invalid(`${alg} tokens are not accepted: API_JWT_SECRET is not set`);
        }
        ({ payload } = await jwtVerify(token, this.secret, {
          ...options,
          algorithms: [...SYMMETRIC],
        }));
      } else if (isOneOf(alg, ASYMMETRIC)) {
        if (this.jwks === undefined) {
          return invalid(`${alg} tokens are not accepted: API_JWKS_URL is not set`);
        }
        ({ payload } = await jwtVerify(token, this.jwks, {
          ...options,
          algorithms: [...ASYMMETRIC],
        }));
      } else {
        return invalid(`unsupported alg ${alg}: use ${[...SYMMETRIC, ...ASYMMETRIC].join(', ')}`);
      }
    } catch (err) {
      return rejectionFor(err, alg);
    }

    const scopes = parseScopeClaim(payload.scope);
    if (scopes === undefined) {
      return invalid('scope claim must be a string of space-separated scopes');
    }
    return {
      ok: true,
      subject: typeof payload.sub === 'string' ? payload.sub : undefined,
      scopes,
      claims: payload,
    };
  }
}

/** Wraps the JWKS lookup so that a key set that cannot be had is told apart from a bad token. */
function lookupIn(jwks: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw err;
      }
      // Fetch failures, timeouts, non-200 answers, unparsable or malformed key sets.
      throw new JwksUnavailable(err);
    }
  };
}

function isOneOf<T extends string>(value: string, list: readonly T[]): value is T {
  return (list as readonly string[]).includes(value);
}

function invalid(reason: string): Rejection {
  return { ok: false, kind: 'invalid', reason };
}

function unavailable(reason: string, detail?: string): Rejection {
  return detail === undefined
    ? { ok: false, kind: 'unavailable', reason }
    : { ok: false, kind: 'unavailable', reason, detail };
}

/** Turns what jose threw into a reason a platform engineer can act on. */
function rejectionFor(err: unknown, alg: string): Rejection {
  if (err instanceof JwksUnavailable) {
    const summary = err.error instanceof Error ? err.error.message : 'key set lookup failed';
    return unavailable(`JWKS unavailable: ${summary}`, describe(err.error));
  }
  if (err instanceof errors.JWTExpired) return invalid('token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'exp' && err.reason === 'missing') return invalid('token has no exp claim');
    if (err.claim === 'nbf' && err.reason === 'check_failed') {
      return invalid('token not valid yet (nbf is in the future)');
    }
    return invalid(`invalid ${err.claim} claim: ${err.message}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('signature invalid');
  if (err instanceof errors.JWKSNoMatchingKey) {
    return invalid(`no ${alg} key in the JWKS matches the token's kid`);
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid(`several ${alg} keys in the JWKS match; the token must name one with kid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid(`unsupported alg ${alg}`);
  if (err instanceof errors.JOSEError) return invalid(`malformed token: ${err.message}`);
  // Not jose's: a bug, or key material jose could not use. Reject, keep the detail for the log.
  return {
    ok: false,
    kind: 'invalid',
    reason: 'token could not be verified',
    detail: describe(err),
  };
}

/** An error and its causes on one line, for logs. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(inspect(current));
      current = undefined;
    }
  }
  return parts.join(': ');
}
