/**
 * The view of an HTTP request that both signature schemes sign and verify: method, the target
 * URI as the receiver sees it, header field lines in arrival order, and the raw body bytes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** An HTTP request as a signer builds it or a verifier received it. */
export interface HttpMessage {
  /** Upper-case method, e.g. `POST`. */
  readonly method: string;
  /** Full target URI (scheme, authority from Host, path and query). */
  readonly targetUri: URL;
  /** The request-target exactly as on the request line (path and query, not normalized). */
  readonly requestTarget: string;
  /** Header field lines by lower-case name, each line's value in arrival order. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** The body exactly as sent; empty for GET. */
  readonly body: Buffer;
}

/** Field lines from Node's `rawHeaders` (name, value, name, value, …). */
export function fieldsFromRawHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const lines = fields.get(name) ?? [];
    lines.push(rawHeaders[i + 1] ?? '');
    fields.set(name, lines);
  }
  return fields;
}

/** Field lines from a plain header record (one line per header). */
export function fieldsFromRecord(headers: Readonly<Record<string, string>>): Map<string, string[]> {
  return new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), [value]]));
}

/**
 * A field's value as both schemes define it: every line trimmed, lines joined with `, `
 * (RFC 9421 §2.1; draft-cavage §2.3 says the same). `undefined` when the field is absent.
 */
export function fieldValue(message: HttpMessage, name: string): string | undefined {
  return combineLines(message.fields.get(name.toLowerCase()));
}

/** Field lines trimmed and joined with `, `; `undefined` for no lines. */
export function combineLines(lines: readonly string[] | undefined): string | undefined {
  if (lines === undefined || lines.length === 0) return undefined;
  return lines.map((line) => line.trim()).join(', ');
}

/** SHA-256 of the body, base64. */
export function sha256Base64(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('base64');
}

/** Constant-time comparison of a claimed digest with the body's SHA-256. */
export function digestMatches(claimed: Uint8Array, body: Buffer): boolean {
  const actual = createHash('sha256').update(body).digest();
  return claimed.length === actual.length && timingSafeEqual(claimed, actual);
}
