import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Create } from '@fedify/vocab';
import type { RequestContext, UnverifiedActivityReason } from '@fedify/fedify';
import { DocumentLoaderError } from '../../net/index.js';
import type { InboxDeps } from './inbox-deps.js';
import { answerUnverified } from './inbox.listeners.js';

// Regression cases from test/e2e/inbox-fuzz.e2e-spec.ts: a keyId that can never be fetched got
// 503 (retry later) instead of 401.
void describe('answerUnverified', () => {
  const ctx = {} as RequestContext<void>;
  const deps = {} as InboxDeps;
  const keyFetchError = (
    error: Error,
    keyId = 'https://k.example/users/x#main-key',
  ): UnverifiedActivityReason =>
    ({
      type: 'keyFetchError',
      keyId: new URL(keyId),
      result: { error },
    }) as unknown as UnverifiedActivityReason;

  void it('answers 503 when the key host is down, so the sender retries', async () => {
    const error = new DocumentLoaderError('https://k.example/', 'network', 'ENOTFOUND');
    const response = await answerUnverified(ctx, new Create({}), keyFetchError(error), deps);
    assert.equal(response?.status, 503);
  });

  void it('leaves a key that can never be fetched to Fedify’s 401', async () => {
    for (const reason of ['scheme', 'private-address', 'redirect-loop', 'too-large'] as const) {
      const error = new DocumentLoaderError('javascript:alert(1)', reason, 'refused');
      const response = await answerUnverified(ctx, new Create({}), keyFetchError(error), deps);
      assert.equal(response, undefined, reason);
    }
  });

  void it('leaves a non-http(s) keyId to Fedify’s 401, also when the failure came from its cache', async () => {
    // Fedify's KV key cache hands back a plain Error with the original name and message.
    const cached = new Error('javascript:alert(1): scheme javascript: is not allowed');
    cached.name = 'DocumentLoaderError';
    const reason = keyFetchError(cached, 'javascript:alert(1)');
    assert.equal(await answerUnverified(ctx, new Create({}), reason, deps), undefined);
  });
});
