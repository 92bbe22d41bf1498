import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_SCOPES, grants, isScope, missingScopes, parseScopeClaim } from './scopes.js';

describe('parseScopeClaim', () => {
  it('reads space-separated scopes', () => {
    assert.deepEqual(parseScopeClaim('ingest comments:read'), new Set(['ingest', 'comments:read']));
  });

  it('ignores unknown scopes and extra spaces', () => {
    assert.deepEqual(
      parseScopeClaim(' openid  comments:write ADMIN admin:all '),
      new Set(['comments:write']),
    );
  });

  it('grants nothing without a claim', () => {
    assert.deepEqual(parseScopeClaim(undefined), new Set());
  });

  it('refuses a claim that is not a string', () => {
    assert.equal(parseScopeClaim(['admin']), undefined);
    assert.equal(parseScopeClaim(42), undefined);
  });
});

describe('isScope', () => {
  it('knows exactly the four scopes', () => {
    assert.deepEqual(ALL_SCOPES, ['admin', 'ingest', 'comments:read', 'comments:write']);
    assert.ok(ALL_SCOPES.every(isScope));
    assert.equal(isScope('comments'), false);
  });
});

describe('grants', () => {
  it('is satisfied by the scope itself', () => {
    assert.equal(grants(new Set(['ingest']), 'ingest'), true);
    assert.equal(grants(new Set(['ingest']), 'comments:read'), false);
  });

  it('lets admin satisfy every scope', () => {
    for (const scope of ALL_SCOPES) assert.equal(grants(new Set(['admin']), scope), true);
  });

  it('does not let comments:write imply comments:read', () => {
    assert.equal(grants(new Set(['comments:write']), 'comments:read'), false);
  });
});

describe('missingScopes', () => {
  it('lists what is not granted, in order', () => {
    assert.deepEqual(
      missingScopes(new Set(['comments:read']), ['ingest', 'comments:read', 'comments:write']),
      ['ingest', 'comments:write'],
    );
    assert.deepEqual(missingScopes(new Set(['admin']), ['ingest', 'comments:write']), []);
  });
});
