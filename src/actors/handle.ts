/**
 * Handles: the user part of `acct:{handle}@{host}`, shared by authors and publications.
 *
 * A platform username or slug becomes a handle by {@link normalizeHandle}: lower case, accents
 * dropped, anything outside `a-z 0-9 _ . -` turned into `_`, dots and dashes only inside, at most
 * {@link MAX_HANDLE_LENGTH} characters. That is the shape Mastodon accepts for remote accounts.
 *
 * Collisions: handles are unique across authors and publications. The actor that claims a handle
 * first keeps it; a later actor whose normalized handle is taken (or reserved) gets the first free
 * of `{handle}_2`, `{handle}_3`, … and keeps that one while its username or slug is unchanged.
 * The admin API reports the handle actually assigned.
 */

export const MAX_HANDLE_LENGTH = 64;

/** Handles no author or publication can take. `instance` is the instance actor's. */
export const RESERVED_HANDLES: ReadonlySet<string> = new Set([
  'instance',
  'admin',
  'administrator',
  'root',
  'support',
  'postmaster',
  'webmaster',
  'abuse',
  'security',
  'inbox',
  'outbox',
  'actor',
  'actors',
  'api',
  'health',
  'nodeinfo',
  'well-known',
]);

const HANDLE = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;

/** Whether `value` is already a valid handle. */
export function isValidHandle(value: string): boolean {
  return value.length <= MAX_HANDLE_LENGTH && HANDLE.test(value);
}

/** The handle a platform username or slug asks for (before collision handling). */
export function normalizeHandle(raw: string): string {
  let handle = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/^@+/, '')
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/[.-]{2,}/g, '_')
    .replace(/^[.-]+|[.-]+$/g, '');
  if (handle.length > MAX_HANDLE_LENGTH) {
    handle = handle.slice(0, MAX_HANDLE_LENGTH).replace(/[.-]+$/, '');
  }
  // Nothing left of a name in another script, or only punctuation: a neutral stem instead.
  return /[a-z0-9]/.test(handle) ? handle : 'user';
}

/**
 * The handles to try, in order, for a platform username or slug: the normalized one, then
 * `_2`, `_3`, … (shortened so that the suffix fits).
 */
export function* handleCandidates(raw: string): Generator<string> {
  const base = normalizeHandle(raw);
  if (!RESERVED_HANDLES.has(base)) yield base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const stem = base.slice(0, MAX_HANDLE_LENGTH - suffix.length).replace(/[.-]+$/, '');
    yield `${stem}${suffix}`;
  }
}
