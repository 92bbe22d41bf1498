import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAcceptableInboxUrl } from './inbox-url.js';

describe('isAcceptableInboxUrl', () => {
  it('takes ordinary inboxes', () => {
    assert.equal(isAcceptableInboxUrl('https://mastodon.social/inbox'), true);
    assert.equal(isAcceptableInboxUrl('https://a.example/users/bob/inbox'), true);
    assert.equal(isAcceptableInboxUrl('http://127.0.0.1:4000/inbox'), true);
  });

  it('refuses what would break or abuse a delivery', () => {
    assert.equal(isAcceptableInboxUrl(`https://${'a'.repeat(300)}.example/inbox`), false);
    assert.equal(isAcceptableInboxUrl(`https://a.example/${'x'.repeat(3000)}`), false);
    assert.equal(isAcceptableInboxUrl('ftp://a.example/inbox'), false);
    assert.equal(isAcceptableInboxUrl('javascript:alert(1)'), false);
    assert.equal(isAcceptableInboxUrl('https://user:pw@a.example/inbox'), false);
    assert.equal(isAcceptableInboxUrl('/inbox'), false);
    assert.equal(isAcceptableInboxUrl(''), false);
  });
});
