import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockKey,
  DEFAULT_POLICY,
  initialStatus,
  isBlockedBy,
  matchedKeyword,
} from './moderation.js';

describe('moderation', () => {
  it('approves by default and holds by policy', () => {
    assert.equal(initialStatus(DEFAULT_POLICY, 'hello', true).status, 'approved');
    assert.equal(
      initialStatus({ mode: 'hold_all', keywords: [] }, 'hello', false).status,
      'pending',
    );
    const firstTime = { mode: 'hold_first_time', keywords: [] } as const;
    assert.deepEqual(initialStatus(firstTime, 'hello', true), {
      status: 'pending',
      reason: 'first reply of this commenter',
    });
    assert.equal(initialStatus(firstTime, 'hello', false).status, 'approved');
  });

  it('holds replies with a keyword, as a whole word or phrase, whatever the case', () => {
    const policy = { mode: 'auto', keywords: ['casino', 'buy now'] } as const;
    assert.deepEqual(initialStatus(policy, 'Visit my CASINO!', false), {
      status: 'pending',
      reason: 'keyword "casino"',
    });
    assert.equal(matchedKeyword(['buy now'], 'Please, buy   now.'), 'buy now');
    assert.equal(matchedKeyword(['casino'], 'casinos are fine'), null, 'whole words only');
    assert.equal(matchedKeyword([''], 'anything'), null);
    assert.equal(initialStatus(policy, 'a fine reply', false).status, 'approved');
  });

  it('a domain block covers the domain and its subdomains, not look-alikes', () => {
    const keys = new Set([
      blockKey('domain', 'Spam.Example'),
      blockKey('actor', 'https://a.example/u/x'),
    ]);
    assert.ok(isBlockedBy(keys, 'https://spam.example/users/1'));
    assert.ok(isBlockedBy(keys, 'https://eu.spam.example:8443/users/1'));
    assert.ok(isBlockedBy(keys, 'https://a.example/u/x'));
    assert.ok(!isBlockedBy(keys, 'https://a.example/u/y'));
    assert.ok(!isBlockedBy(keys, 'https://notspam.example/users/1'));
    assert.ok(!isBlockedBy(keys, 'https://spam.example.org/users/1'));
    assert.ok(!isBlockedBy(keys, 'not a url'));
  });
});
