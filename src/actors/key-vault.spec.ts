import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyVault } from './key-vault.js';

const SECRET = 'k'.repeat(40);

describe('KeyVault', () => {
  it('round-trips and never stores the plaintext', () => {
    const sut = new KeyVault(SECRET);
    const sealed = sut.seal('{"d":"private"}', 'key-1');
    assert.ok(!sealed.includes('private'));
    assert.equal(sut.open(sealed, 'key-1'), '{"d":"private"}');
  });

  it('uses a fresh IV each time', () => {
    const sut = new KeyVault(SECRET);
    assert.notEqual(sut.seal('x', 'c'), sut.seal('x', 'c'));
  });

  it('refuses another SECRET_KEY, another context and tampering', () => {
    const sealed = new KeyVault(SECRET).seal('secret', 'key-1');
    assert.throws(() => new KeyVault('z'.repeat(40)).open(sealed, 'key-1'), /SECRET_KEY/);
    assert.throws(() => new KeyVault(SECRET).open(sealed, 'key-2'), /SECRET_KEY/);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    const tampered = [parts[0], parts[1], body.toString('base64url')].join('.');
    assert.throws(() => new KeyVault(SECRET).open(tampered, 'key-1'));
    assert.throws(() => new KeyVault(SECRET).open('v0.a.b', 'key-1'), /unknown format/);
  });
});
