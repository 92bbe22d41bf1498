/**
 * WebSub subscriber building blocks (W3C Recommendation "WebSub", 23 January 2018): the
 * subscription request (§5.1), the hub's answer to it (§5.1.2), intent verification and denial at
 * the callback (§5.2, §5.3) and authenticated content distribution (§7.1).
 *
 * Framework-free and side-effect free apart from `generateSecret`: the caller owns storage, the
 * HTTP client that talks to the hub and the callback route. A typical flow:
 *
 *   const secret = generateSecret();
 *   const req = buildSubscribeRequest({ hubUrl, topicUrl, callbackUrl, secret, mode: 'subscribe' });
 *   const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
 *   interpretHubResponse(res.status);          // 202: the hub will now verify intent
 *   // GET callback  → verifyIntent(query, pending) → answer `challenge` (2xx) or `status`
 *   // POST callback → verifySignature(header, rawBody, secret) → process only when ok
 *   // renewal       → renewAt(leaseSeconds, verifiedAt)
 *
 * Not here: hub discovery (Link headers / <link> elements), the 307/308 "use another hub"
 * redirect (fetch follows it by default), retries and scheduling.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Whether a request subscribes or unsubscribes. */
export type WebSubMode = 'subscribe' | 'unsubscribe';

/** The `X-Hub-Signature` methods the spec registers (§7.1.1). */
export const WEBSUB_SIGNATURE_ALGORITHMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;

/** One of {@link WEBSUB_SIGNATURE_ALGORITHMS}. */
export type WebSubSignatureAlgorithm = (typeof WEBSUB_SIGNATURE_ALGORITHMS)[number];

/** Digest size in bytes of each signature algorithm. */
const DIGEST_BYTES: Readonly<Record<WebSubSignatureAlgorithm, number>> = {
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** Name of the header that carries the content signature (lower-cased, as Node exposes it). */
export const SIGNATURE_HEADER = 'x-hub-signature';

/** Longest `hub.challenge` {@link verifyIntent} echoes (the spec asks subscribers to cap it). */
export const MAX_CHALLENGE_LENGTH = 1000;

/** `hub.secret` must be shorter than this many bytes (§5.1). */
export const MAX_SECRET_BYTES = 200;

/**
 * Headers for the intent verification answer: the body echoes hub-supplied text, so it must be
 * served with a safe media type and `nosniff` (§8.2, reflected XSS).
 */
export const INTENT_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** Input of {@link buildSubscribeRequest}. */
export interface SubscribeRequestInput {
  /** The hub's URL (http or https). */
  readonly hubUrl: string;
  /** The topic's `rel="self"` URL found at discovery; the hub keys the subscription by it. */
  readonly topicUrl: string;
  /** The callback: an unguessable capability URL, unique per subscription (§5.1). */
  readonly callbackUrl: string;
  /**
   * Key for the hub's HMAC over distributed content (from {@link generateSecret}); sent with
   * `subscribe` only, must be shorter than 200 bytes. The spec advises sending it only to an
   * https hub; that policy is the caller's.
   */
  readonly secret: string;
  /** Requested lease, a positive integer; the hub may grant another. Sent with `subscribe` only. */
  readonly leaseSeconds?: number;
  readonly mode: WebSubMode;
}

/** A ready-to-send hub request: POST `body` to `url` with `headers`. */
export interface SubscribeRequest {
  readonly url: string;
  /** `application/x-www-form-urlencoded`, UTF-8. */
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Parses `value` as an absolute http(s) URL or throws a TypeError naming `what`. */
function assertHttpUrl(value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} is not a valid URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${what} must be an http or https URL: ${JSON.stringify(value)}`);
  }
}

/**
 * Builds the subscription or unsubscription request to a hub (§5.1): a form-encoded POST with
 * `hub.mode`, `hub.topic`, `hub.callback`, and for `subscribe` also `hub.lease_seconds` (when
 * given) and `hub.secret`. An unsubscription carries neither: the hub must ignore a lease there,
 * and a secret has nothing to sign.
 *
 * @throws TypeError when a URL is not an absolute http(s) URL.
 * @throws RangeError when subscribing with an empty or ≥ 200-byte secret, or when `leaseSeconds`
 *   is not a positive integer.
 */
export function buildSubscribeRequest(input: SubscribeRequestInput): SubscribeRequest {
  assertHttpUrl(input.hubUrl, 'hubUrl');
  assertHttpUrl(input.topicUrl, 'topicUrl');
  assertHttpUrl(input.callbackUrl, 'callbackUrl');
  const params = new URLSearchParams();
  params.set('hub.mode', input.mode);
  params.set('hub.topic', input.topicUrl);
  params.set('hub.callback', input.callbackUrl);
  if (input.mode === 'subscribe') {
    if (input.leaseSeconds !== undefined) {
      if (!Number.isSafeInteger(input.leaseSeconds) || input.leaseSeconds <= 0) {
        throw new RangeError(`leaseSeconds must be a positive integer, got ${input.leaseSeconds}`);
      }
      params.set('hub.lease_seconds', String(input.leaseSeconds));
    }
    const secretBytes = Buffer.byteLength(input.secret, 'utf8');
    if (secretBytes === 0 || secretBytes >= MAX_SECRET_BYTES) {
      throw new RangeError(
        `hub.secret must be 1–${MAX_SECRET_BYTES - 1} bytes, got ${secretBytes} bytes`,
      );
    }
    params.set('hub.secret', input.secret);
  }
  return {
    url: input.hubUrl,
    body: params.toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  };
}

/** What {@link interpretHubResponse} concludes from the hub's status. */
export type HubResponseVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: string;
      /** Whether the same request may succeed later (408, 429, 5xx); otherwise fix it first. */
      retryable: boolean;
    };

/**
 * Reads the status of the hub's answer to a (un)subscription request (§5.1.2). 202 Accepted is
 * the spec's answer ("will now be verified"); any other 2xx is taken as accepted too. Acceptance is
 * not a subscription: that exists only once the hub has verified intent at the callback. Anything
 * else is a refusal (the hub's plain-text body, if any, is the caller's to log).
 */
export function interpretHubResponse(status: number): HubResponseVerdict {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, reason: `invalid HTTP status ${status}`, retryable: true };
  }
  if (status >= 200 && status <= 299) return { ok: true };
  if (status === 307 || status === 308) {
    return {
      ok: false,
      reason: `hub redirected (${status}) to another hub; retry at its Location`,
      retryable: false,
    };
  }
  if (status === 408 || status === 429) {
    return { ok: false, reason: `hub asked to retry later (${status})`, retryable: true };
  }
  if (status >= 500) return { ok: false, reason: `hub failed (${status})`, retryable: true };
  if (status >= 400) {
    return { ok: false, reason: `hub rejected the request (${status})`, retryable: false };
  }
  return { ok: false, reason: `unexpected hub status ${status}`, retryable: false };
}

/** What the callback expects for the subscription a verification GET names. */
export interface ExpectedIntent {
  /** The topic of the pending (un)subscription. */
  readonly topicUrl: string;
  /** What the subscriber asked the hub for, and so agrees to. */
  readonly mode: WebSubMode;
}

/** Outcome of {@link verifyIntent}. */
export type IntentVerdict =
  | {
      ok: true;
      /** Echo this as the whole 2xx body, with {@link INTENT_RESPONSE_HEADERS}. */
      challenge: string;
      /** Lease the hub granted (subscribe); null for unsubscribe or when the hub sent none. */
      leaseSeconds: number | null;
    }
  | {
      ok: false;
      /** Answer the hub with this: 404 "we do not agree", 400 malformed request. */
      status: 404 | 400;
      reason: string;
      /**
       * True when the hub *notified* a denial (`hub.mode=denied`, §5.2) for the expected topic:
       * the subscription is refused or cancelled and should be marked so. The hub ignores the
       * answer to a denial; `status` is 404 (nothing to confirm).
       */
      denied: boolean;
    };

/** Query values as Express/node:querystring hand them over. */
export type CallbackQuery = Record<string, string | string[] | undefined>;

/** One query parameter: undefined when absent, null when repeated with different values. */
function single(query: CallbackQuery, name: string): string | undefined | null {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  if (value.length === 0) return undefined;
  const first = value[0];
  return value.every((v) => v === first) ? first : null;
}

/** Printable ASCII only: challenges with spaces, control bytes or non-ASCII text are refused. */
const CHALLENGE_PATTERN = /^[\x21-\x7e]+$/;
const LEASE_PATTERN = /^\d{1,10}$/;

/**
 * Checks the hub's GET to the callback (§5.3, §5.2) against the pending (un)subscription it names.
 *
 * - `expected === null` (the callback names no subscription we know) → 404.
 * - `hub.mode=denied` for the expected topic → `ok: false, denied: true`, the reason quoting
 *   `hub.reason`; the mode is not compared (a hub may deny at any time, even after accepting).
 * - `hub.mode` must equal `expected.mode` and `hub.topic` (trimmed) must equal
 *   `expected.topicUrl` (trimmed), exactly, else 404 ("the subscriber does not agree").
 * - `hub.challenge` must be present, ≤ {@link MAX_CHALLENGE_LENGTH} characters of printable
 *   ASCII; missing or malformed parameters (also repeated ones that disagree) → 400.
 * - `hub.lease_seconds` is parsed for `subscribe` (a non-integer value → 400; absent → null) and
 *   ignored for `unsubscribe`, as the spec requires.
 *
 * On `ok: true` answer 2xx with exactly `challenge` as the body and {@link INTENT_RESPONSE_HEADERS}.
 */
export function verifyIntent(query: CallbackQuery, expected: ExpectedIntent | null): IntentVerdict {
  const fail = (status: 404 | 400, reason: string, denied = false): IntentVerdict => ({
    ok: false,
    status,
    reason,
    denied,
  });
  if (expected === null) return fail(404, 'unknown subscription');

  const mode = single(query, 'hub.mode');
  const topic = single(query, 'hub.topic');
  if (mode === null) return fail(400, 'conflicting hub.mode values');
  if (mode === undefined || mode === '') return fail(400, 'missing hub.mode');
  if (topic === null) return fail(400, 'conflicting hub.topic values');
  if (topic === undefined || topic.trim() === '') return fail(400, 'missing hub.topic');
  const topicMatches = topic.trim() === expected.topicUrl.trim();

  if (mode === 'denied') {
    if (!topicMatches) return fail(404, `denial for another topic: ${topic}`);
    const hubReason = single(query, 'hub.reason');
    const why = typeof hubReason === 'string' && hubReason !== '' ? hubReason : 'no reason given';
    return fail(404, `hub denied the subscription: ${why}`, true);
  }
  if (mode !== 'subscribe' && mode !== 'unsubscribe') {
    return fail(400, `unknown hub.mode ${JSON.stringify(mode)}`);
  }
  if (mode !== expected.mode) {
    return fail(404, `hub.mode ${mode} does not match the pending ${expected.mode}`);
  }
  if (!topicMatches) return fail(404, `hub.topic ${topic} does not match the pending topic`);

  const challenge = single(query, 'hub.challenge');
  if (challenge === null) return fail(400, 'conflicting hub.challenge values');
  if (challenge === undefined || challenge === '') return fail(400, 'missing hub.challenge');
  if (challenge.length > MAX_CHALLENGE_LENGTH) {
    return fail(400, `hub.challenge longer than ${MAX_CHALLENGE_LENGTH} characters`);
  }
  if (!CHALLENGE_PATTERN.test(challenge)) {
    return fail(400, 'hub.challenge has characters other than printable ASCII');
  }

  let leaseSeconds: number | null = null;
  if (mode === 'subscribe') {
    const lease = single(query, 'hub.lease_seconds');
    if (lease === null) return fail(400, 'conflicting hub.lease_seconds values');
    if (lease !== undefined && lease !== '') {
      if (!LEASE_PATTERN.test(lease)) {
        return fail(400, `hub.lease_seconds is not a non-negative integer: ${lease}`);
      }
      leaseSeconds = Number(lease);
    }
  }
  return { ok: true, challenge, leaseSeconds };
}

/** Outcome of {@link verifySignature}. */
export type SignatureVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'unsupported_algorithm' | 'mismatch' };

function isSignatureAlgorithm(method: string): method is WebSubSignatureAlgorithm {
  return (WEBSUB_SIGNATURE_ALGORITHMS as readonly string[]).includes(method);
}

/**
 * Verifies a content distribution's `X-Hub-Signature: method=hexdigest` (§7.1): an HMAC with the
 * subscription's secret over the raw request body bytes (before any decoding or parsing), with the
 * method the hub names (sha1, sha256, sha384 or sha512; the name case-insensitively), compared in
 * constant time.
 *
 * Reasons: `missing` (no header, or an empty one), `malformed` (not `method=hex`, or a digest of
 * the wrong length for the method — also a repeated header, which Node joins with ", "),
 * `unsupported_algorithm` (any other method), `mismatch` (wrong body or secret).
 *
 * A subscription made with a secret must ignore content whose verdict is not ok — unsigned
 * included, as the hub must sign when given a secret (§7.1.2, §8.3). The caller should still
 * answer the hub 2xx (the spec allows it; it gives a forger no oracle and does not make the hub
 * retry) and log the rejection with the reason, without processing the body.
 */
export function verifySignature(
  header: string | undefined,
  body: Uint8Array,
  secret: string,
): SignatureVerdict {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const value = header.trim();
  const eq = value.indexOf('=');
  if (eq <= 0) return { ok: false, reason: 'malformed' };
  const method = value.slice(0, eq).trim().toLowerCase();
  const digest = value.slice(eq + 1).trim();
  if (!/^[a-z0-9-]+$/.test(method)) return { ok: false, reason: 'malformed' };
  if (!isSignatureAlgorithm(method)) return { ok: false, reason: 'unsupported_algorithm' };
  if (!/^[0-9a-fA-F]+$/.test(digest) || digest.length !== DIGEST_BYTES[method] * 2) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = createHmac(method, secret).update(body).digest();
  const given = Buffer.from(digest, 'hex');
  // Equal lengths by construction (the digest length was checked against the method).
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Renew no later than this many seconds before the lease ends. */
export const RENEW_MARGIN_SECONDS = 60;
/** Renew once this share of the lease has passed. */
export const RENEW_FRACTION = 0.8;

/**
 * When to re-subscribe for a lease of `leaseSeconds` granted at `now` (the lease runs from the
 * hub's verification request, §5.3): at 80 % of the lease, but at least 60 s before it ends, and
 * never before `now` (a lease of 60 s or less → renew at once). 10 days → after 8 days; 5 min →
 * after 4 min; 100 s → after 40 s.
 *
 * @throws RangeError when `leaseSeconds` is negative or not finite, or `now` is an invalid date.
 */
export function renewAt(leaseSeconds: number, now: Date): Date {
  if (!Number.isFinite(leaseSeconds) || leaseSeconds < 0) {
    throw new RangeError(`leaseSeconds must be a non-negative number, got ${leaseSeconds}`);
  }
  const start = now.getTime();
  if (Number.isNaN(start)) throw new RangeError('now is an invalid date');
  const afterSeconds = Math.max(
    0,
    Math.min(leaseSeconds * RENEW_FRACTION, leaseSeconds - RENEW_MARGIN_SECONDS),
  );
  return new Date(start + Math.floor(afterSeconds * 1000));
}

/** A fresh `hub.secret`: 32 random bytes, base64url (43 characters, no padding). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
