/** Longest inbox URL kept (real ones are well under 200 characters). */
export const MAX_INBOX_URL_LENGTH = 2048;
/** Longest host kept: DNS names are at most 253 characters, plus a port. */
const MAX_HOST_LENGTH = 255;

/**
 * Whether `url` can be a follower's inbox: an absolute http(s) URL without credentials or
 * fragment, of bounded length and host. A remote actor document may claim anything; a value that
 * fails here is never stored, so it can never break a delivery batch (an over-long host or URL
 * would fail the whole transaction that writes a story's deliveries).
 */
export function isAcceptableInboxUrl(url: string): boolean {
  if (url.length > MAX_INBOX_URL_LENGTH) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.host !== '' &&
    parsed.host.length <= MAX_HOST_LENGTH
  );
}
