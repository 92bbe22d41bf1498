// The story every sender delivers: the same ~4 KB of HTML, so that the ideal sender's and bare
// Fedify's bodies are about the size of the bridge's Create(Article). And the draft-cavage request
// the ideal sender makes for each inbox.
import { createHash, type KeyObject } from 'node:crypto';
import { signCavage } from '../../test/support/remote-peer/cavage.js';

const PARAGRAPH =
  '<p>The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves; ' +
  'what it cannot do is originate anything, only what we know how to order it to perform.</p>';

/** About `bytes` of story HTML. */
export function storyHtml(bytes = 4096): string {
  return PARAGRAPH.repeat(Math.max(1, Math.round(bytes / PARAGRAPH.length)));
}

/** A Create(Article) shaped like the bridge's, as JSON text. */
export function createActivityJson(id: string, actor: string, contentBytes = 4096): string {
  const published = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const articleId = id.replace('/activities/', '/articles/');
  return JSON.stringify({
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
    id,
    type: 'Create',
    actor,
    published,
    to: ['https://www.w3.org/ns/activitystreams#Public'],
    cc: [`${actor}/followers`],
    object: {
      id: articleId,
      type: 'Article',
      attributedTo: actor,
      name: 'The analytical engine',
      summary: '<p>The engine weaves algebraic patterns.</p>',
      content: storyHtml(contentBytes),
      url: { type: 'Link', href: 'https://stories.example/p/engine', mediaType: 'text/html' },
      published,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
      cc: [`${actor}/followers`],
      tag: [{ type: 'Hashtag', href: 'https://stories.example/tags/engines', name: '#engines' }],
    },
  });
}

/** Headers of a signed inbox POST, as the bridge signs them (rsa-sha256 over these four). */
export const SIGNED_HEADERS = ['(request-target)', 'host', 'date', 'digest'] as const;

/** Headers for POSTing `body` to `inbox`: SHA-256 Digest and a draft-cavage Signature. */
export function signedPostHeaders(
  inbox: URL,
  body: Buffer,
  keyId: string,
  privateKey: KeyObject,
  date: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    host: inbox.host,
    date,
    digest: `SHA-256=${createHash('sha256').update(body).digest('base64')}`,
    'content-type': 'application/activity+json',
  };
  const { header } = signCavage({
    method: 'POST',
    requestTarget: inbox.pathname,
    headers,
    signedHeaders: SIGNED_HEADERS,
    keyId,
    privateKey,
  });
  headers.signature = header;
  return headers;
}

/** A typical signing string, for the RSA ceiling. */
export function typicalSigningString(): string {
  return [
    '(request-target): post /inbox',
    'host: 127.0.0.1:20000',
    `date: ${new Date().toUTCString()}`,
    `digest: SHA-256=${createHash('sha256').update(storyHtml()).digest('base64')}`,
  ].join('\n');
}
