import type { webcrypto } from 'node:crypto';
import { signRequest } from '@fedify/fedify';
import { SafeFetch, SafeFetchError } from '../net/index.js';
import { retryAfterMs } from './retry-policy.js';

/** The key an activity is signed with: the actor's RSA key, as its actor document lists it. */
export interface SigningKey {
  readonly keyId: URL;
  readonly privateKey: webcrypto.CryptoKey;
}

/** What came of one POST. */
export interface SendResult {
  /** The HTTP status; null when no answer came. */
  readonly status: number | null;
  /** Why it failed, for the delivery record; null on success. */
  readonly error: string | null;
  /** When the answer asked to wait (`Retry-After` on 429/503). */
  readonly retryAfterMs: number | null;
  /** True when the request could never succeed as addressed (SSRF rules, redirect). */
  readonly permanent: boolean;
}

const ERROR_BODY_CHARS = 300;

const HEADERS = {
  'content-type': 'application/activity+json',
  accept: 'application/activity+json, application/ld+json',
};

/** Refusals of the SSRF rules and redirects: sending again to the same URL cannot help. */
const PERMANENT_REASONS = new Set([
  'scheme',
  'private-address',
  'too-many-redirects',
  'redirect-loop',
]);

/**
 * POSTs one signed activity to one inbox: draft-cavage HTTP Signature with a SHA-256 Digest,
 * made by Fedify's `signRequest` with the actor's RSA key (what every fediverse server verifies),
 * through the SSRF-safe fetch's lean POST (checked addresses, keep-alive pool, deadline; the
 * answer's body is read only up to the cap, so a large or chatty 2xx still counts). Redirects are
 * not followed: an inbox that moves answers 3xx and the delivery is refused.
 */
export class InboxSender {
  constructor(private readonly http: SafeFetch) {}

  async send(inbox: string, body: Uint8Array, key: SigningKey): Promise<SendResult> {
    const bytes = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
    try {
      const signed = await signRequest(
        new Request(inbox, { method: 'POST', headers: HEADERS, body }),
        key.privateKey,
        key.keyId,
        { body: bytes as ArrayBuffer },
      );
      const answer = await this.http.post(inbox, { headers: signed.headers, body });
      if (answer.status >= 200 && answer.status < 300) {
        return { status: answer.status, error: null, retryAfterMs: null, permanent: false };
      }
      const text = answer.text.replace(/\s+/g, ' ').trim();
      return {
        status: answer.status,
        error: `HTTP ${answer.status}${text === '' ? '' : `: ${text.slice(0, ERROR_BODY_CHARS)}`}`,
        retryAfterMs: retryAfterMs(answer.retryAfter),
        permanent: false,
      };
    } catch (error) {
      if (error instanceof SafeFetchError) {
        return {
          status: null,
          error: `${error.reason}: ${error.message}`,
          retryAfterMs: null,
          permanent: PERMANENT_REASONS.has(error.reason),
        };
      }
      throw error;
    }
  }
}
