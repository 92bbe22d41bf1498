/**
 * What a platform token may do on `/api/v1`, as listed in its space-separated `scope` claim.
 *
 * - `admin`: everything; it satisfies every scope requirement (see {@link grants}).
 * - `ingest`: push stories and publication changes to the bridge.
 * - `comments:read`: read replies that came in from the fediverse.
 * - `comments:write`: moderate or answer those replies.
 */
export type Scope = 'admin' | 'ingest' | 'comments:read' | 'comments:write';

/** Every scope the bridge knows, in a stable order. */
export const ALL_SCOPES: readonly Scope[] = ['admin', 'ingest', 'comments:read', 'comments:write'];

/** Whether `value` names one of {@link ALL_SCOPES}. */
export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/**
 * Reads a `scope` claim value (RFC 8693 §4.2: scope names separated by spaces). Names the bridge
 * does not know are ignored, so a token the platform also uses elsewhere can carry other scopes.
 * A missing claim grants nothing. Returns `undefined` when the claim is present but not a string
 * (an array, say): the caller should reject such a token rather than guess what was meant.
 */
export function parseScopeClaim(claim: unknown): Set<Scope> | undefined {
  if (claim === undefined) return new Set();
  if (typeof claim !== 'string') return undefined;
  const scopes = new Set<Scope>();
  for (const name of claim.split(' ')) {
    if (isScope(name)) scopes.add(name);
  }
  return scopes;
}

/**
 * Whether `granted` satisfies `required`: it contains `required` itself or `admin`.
 * `admin` implies every other scope, present and future; no other scope implies another
 * (`comments:write` does not imply `comments:read`).
 */
export function grants(granted: ReadonlySet<Scope>, required: Scope): boolean {
  return granted.has('admin') || granted.has(required);
}

/** The scopes in `required` that `granted` does not satisfy (see {@link grants}), in order. */
export function missingScopes(granted: ReadonlySet<Scope>, required: readonly Scope[]): Scope[] {
  return required.filter((scope) => !grants(granted, scope));
}
