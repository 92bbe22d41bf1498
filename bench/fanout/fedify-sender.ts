// Bare Fedify, as an application would use it out of the box for a fan-out: `createFederation`
// with an in-memory KV store and an in-process queue run by 16 workers
// (`ParallelMessageQueue`), one actor with an RSA-2048 key, and `ctx.sendActivity(actor,
// recipients, Create)` to one inbox per recipient. Its defaults stay on (fanout queue, circuit
// breaker, Linked Data signature of the activity), except `firstKnock`: draft-cavage, the scheme the
// bridge signs with and the fleet verifies (Fedify's default is RFC 9421 first).
import '../../src/federation/node-compat.js';
import { KeyObject, webcrypto } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import {
  createFederation,
  type Federation,
  InProcessMessageQueue,
  MemoryKvStore,
  ParallelMessageQueue,
} from '@fedify/fedify';
import { Article, Create, Hashtag, Link, Person, PUBLIC_COLLECTION } from '@fedify/vocab';
import { storyHtml } from './activity.js';

const ORIGIN = new URL('http://fedify.bench.test');
const IDENTIFIER = 'bench';

export interface FedifySender {
  readonly keyId: string;
  readonly owner: string;
  readonly publicKeyPem: string;
  /** Calls sendActivity; resolves when it returned (the deliveries are queued then). */
  send(activityId: string, inboxes: readonly string[]): Promise<void>;
  /** Delivery errors Fedify reported through `onOutboxError` so far. */
  errors(): { count: number; first: string[] };
}

export async function startFedifySender(parallel: number): Promise<FedifySender> {
  const pair = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  let errorCount = 0;
  const firstErrors: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- Fedify's "no context data"
  const federation: Federation<void> = createFederation<void>({
    kv: new MemoryKvStore(),
    queue: new ParallelMessageQueue(new InProcessMessageQueue(), parallel),
    origin: ORIGIN.href,
    allowPrivateAddress: true,
    firstKnock: 'draft-cavage-http-signatures-12',
    onOutboxError: (error: Error) => {
      errorCount += 1;
      if (firstErrors.length < 10) firstErrors.push(String(error));
    },
  });
  federation
    .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
      if (identifier !== IDENTIFIER) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        publicKey: keys[0]?.cryptographicKey ?? null,
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === IDENTIFIER ? [pair] : []));

  const ctx = federation.createContext(ORIGIN, undefined);
  const [keyPair] = await ctx.getActorKeyPairs(IDENTIFIER);
  if (keyPair === undefined) throw new Error('no key pair for the bench actor');
  const actor = ctx.getActorUri(IDENTIFIER);
  const content = storyHtml();

  return {
    keyId: keyPair.keyId.href,
    owner: actor.href,
    publicKeyPem: KeyObject.from(pair.publicKey).export({ type: 'spki', format: 'pem' }) as string,
    async send(activityId, inboxes) {
      const published = Temporal.Instant.fromEpochMilliseconds(
        Math.floor(Date.now() / 1000) * 1000,
      );
      const followers = new URL(`${actor.href}/followers`);
      const create = new Create({
        id: new URL(activityId),
        actor,
        published,
        to: PUBLIC_COLLECTION,
        cc: followers,
        object: new Article({
          id: new URL(activityId.replace('/activities/', '/articles/')),
          attribution: actor,
          name: 'The analytical engine',
          summary: '<p>The engine weaves algebraic patterns.</p>',
          content,
          url: new Link({
            href: new URL('https://stories.example/p/engine'),
            mediaType: 'text/html',
          }),
          published,
          to: PUBLIC_COLLECTION,
          cc: followers,
          tags: [
            new Hashtag({
              href: new URL('https://stories.example/tags/engines'),
              name: '#engines',
            }),
          ],
        }),
      });
      const recipients = inboxes.map((inbox) => ({
        id: new URL(inbox.replace(/\/inbox$/, '/users/reader')),
        inboxId: new URL(inbox),
        endpoints: null,
      }));
      await ctx.sendActivity({ identifier: IDENTIFIER }, recipients, create);
    },
    errors: () => ({ count: errorCount, first: [...firstErrors] }),
  };
}
