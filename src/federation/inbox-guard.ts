/**
 * Checks made on raw inbound requests before Fedify sees them: cheap, fetch nothing, and close
 * gaps Fedify leaves.
 */

/** Paths of our inboxes. */
export function isInboxPath(path: string): boolean {
  return path === '/inbox' || /^\/actors\/[^/]+\/inbox$/.test(path);
}

/**
 * Whether a Content-Type names ActivityPub JSON: `application/activity+json`, `application/ld+json`
 * (any profile), or plain `application/json`, which some servers send.
 */
export function isActivityJsonType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return (
    type === 'application/activity+json' ||
    type === 'application/ld+json' ||
    type === 'application/json'
  );
}

/**
 * The actor of a Delete that deletes itself (`actor` equals `object` or `object.id`), read from the
 * raw body without any JSON-LD processing; `null` for anything else.
 */
export function selfDeleteActor(body: Buffer): string | null {
  if (body.length === 0 || !body.subarray(0, 4096).includes('Delete')) return null;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const { type, actor, object } = json as { type?: unknown; actor?: unknown; object?: unknown };
  if (type !== 'Delete' || typeof actor !== 'string') return null;
  const objectId =
    typeof object === 'string'
      ? object
      : typeof object === 'object' && object !== null
        ? (object as { id?: unknown }).id
        : undefined;
  return objectId === actor ? actor : null;
}

/**
 * Why a request's draft-cavage `Signature` header is unacceptable for a GET, or `null`: a signed
 * GET must cover `host` (else the signature can be replayed against another server).
 */
export function signedGetProblem(signature: string | undefined): string | null {
  if (signature === undefined) return null;
  const headers = /(?:^|,)\s*headers\s*=\s*"([^"]*)"/i.exec(signature)?.[1];
  if (headers === undefined) return 'the Signature header has no headers parameter';
  const covered = headers.toLowerCase().split(/\s+/);
  if (!covered.includes('host')) return 'the signature does not cover the Host header';
  if (!covered.includes('(request-target)')) return 'the signature does not cover (request-target)';
  return null;
}

/**
 * The name of a parameter given twice in a draft-cavage `Signature` header, or `null`. Which copy
 * a verifier reads is a classic confusion attack, and Fedify would fetch whichever keyId it picked
 * (answering 503 when that host is down, which invites retries); INTEROP.md's checklist (item 9)
 * wants 401. Found by test/e2e/inbox-fuzz.e2e-spec.ts.
 */
export function duplicateSignatureParameter(signature: string | undefined): string | null {
  if (signature === undefined) return null;
  const seen = new Set<string>();
  // Parameter names at the start or after a comma, outside quoted values.
  const pattern = /(?:^|,)\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of signature.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
