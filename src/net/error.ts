/**
 * Why an outbound request was refused or failed:
 *
 * - `scheme`: not `https:` (or `http:` in private-address mode), or a URL with credentials, on
 *   the first hop or a redirect;
 * - `private-address`: the host is, or resolves to, an address that is not public;
 * - `too-many-redirects`: more redirects than allowed;
 * - `redirect-loop`: a redirect back to a URL already visited;
 * - `too-large`: the body is, or is declared to be, over the byte cap;
 * - `timeout`: the total deadline (or the connect timeout) passed;
 * - `network`: anything else on the way: DNS failure, refused or reset connection, TLS error,
 *   unusable `Location`.
 */
export type SafeFetchReason =
  | 'scheme'
  | 'private-address'
  | 'too-many-redirects'
  | 'redirect-loop'
  | 'too-large'
  | 'timeout'
  | 'network';

/**
 * An outbound request that was refused by the SSRF rules or failed in transport. `url` is the
 * hop concerned (after redirects, the redirect target); refusals raised by the guarded agent
 * outside {@link SafeFetch} name the origin only.
 */
export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';

  /**
   * @param reason what went wrong, for callers to switch on
   * @param url the URL (or origin) of the hop concerned
   * @param message human-readable detail (the URL is not repeated in it)
   * @param options `cause`: the underlying error, if any
   */
  constructor(
    readonly reason: SafeFetchReason,
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
