import { CompactSign, compactVerify } from 'jose';
import type { CommentEventMessage } from './comment-event.js';

/** Content type of a webhook body: a JWS in compact serialization. */
export const WEBHOOK_CONTENT_TYPE = 'application/jose';

const encoder = new TextEncoder();

/**
 * A webhook body: the event as JSON, signed as a compact JWS with HS256 and the shared secret.
 * The protected header carries `iat` (seconds) so a receiver can refuse old replays.
 */
export function signWebhook(
  message: CommentEventMessage,
  secret: string,
  now = new Date(),
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(message)))
    .setProtectedHeader({
      alg: 'HS256',
      typ: 'JOSE',
      cty: 'json',
      iat: Math.floor(now.getTime() / 1000),
    })
    .sign(encoder.encode(secret));
}

/** Checks a webhook body the way a receiver would (used by the tests; see docs/comments.md). */
export async function verifyWebhook(body: string, secret: string): Promise<CommentEventMessage> {
  const { payload } = await compactVerify(body, encoder.encode(secret), {
    algorithms: ['HS256'],
  });
  return JSON.parse(new TextDecoder().decode(payload)) as CommentEventMessage;
}
