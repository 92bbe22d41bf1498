import { SignJWT } from 'jose';
import type { Scope } from './scopes.js';

/** What {@link mintToken} puts in a token. */
export interface MintTokenOptions {
  /** The HS256 secret the bridge verifies with (`API_JWT_SECRET`), at least 32 characters. */
  readonly secret: string;
  readonly scopes: readonly Scope[];
  /** The `sub` claim: who the token is for (a platform service, an operator). */
  readonly subject?: string;
  /**
   * Lifetime: seconds from now as a number (negative for an already expired token), or a jose
   * time span such as `'15m'`, `'12h'`, `'30d'`.
   */
  readonly expiresIn: number | string;
}

/**
 * Signs an HS256 API token with `scope`, `iat`, `exp` and optionally `sub`: what the admin CLI's
 * `create-token` hands out, and what tests call the API with.
 */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  if (options.secret.length < 32) throw new Error('the secret must be at least 32 characters');
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: options.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(
      typeof options.expiresIn === 'number' ? now + options.expiresIn : options.expiresIn,
    );
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
