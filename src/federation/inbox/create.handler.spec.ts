import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { visibilityOf } from './create.handler.js';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const FOLLOWERS = 'https://a.example/users/x/followers';
const url = (s: string) => new URL(s);

describe('visibilityOf (a reply’s addressing)', () => {
  it('reads public, unlisted, followers-only and direct like Mastodon does', () => {
    assert.equal(visibilityOf([url(PUBLIC)], [PUBLIC, FOLLOWERS], FOLLOWERS), 'public');
    assert.equal(visibilityOf([url(FOLLOWERS)], [FOLLOWERS, PUBLIC], FOLLOWERS), 'unlisted');
    assert.equal(visibilityOf([url(FOLLOWERS)], [FOLLOWERS], FOLLOWERS), 'followers');
    assert.equal(
      visibilityOf([url('https://b.example/users/y')], ['https://b.example/users/y'], FOLLOWERS),
      'direct',
    );
    assert.equal(visibilityOf([], [], null), 'direct');
  });
});
