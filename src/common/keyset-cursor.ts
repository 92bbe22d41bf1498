/**
 * Opaque cursors for keyset paging on (time, key): base64url of `[time, key]`. Decoding checks
 * both parts with the caller's rules and answers null for anything unreadable, which callers
 * take as "from the start".
 */
export function encodeKeysetCursor(time: string, key: string): string {
  return Buffer.from(JSON.stringify([time, key])).toString('base64url');
}

export function decodeKeysetCursor(
  cursor: string,
  valid: { readonly time: (s: string) => boolean; readonly key: (s: string) => boolean },
): { time: string; key: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      valid.time(value[0]) &&
      valid.key(value[1])
    ) {
      return { time: value[0], key: value[1] };
    }
  } catch {
    // unreadable: null
  }
  return null;
}

/** A time `Date.parse` can read. */
export function isParsableTime(s: string): boolean {
  return !Number.isNaN(Date.parse(s));
}
