import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { mintToken } from './mint-token.js';

const SECRET = 'm'.repeat(32);

describe('mintToken', () => {
  it('signs HS256 with scope, sub, iat and exp', async () => {
    const token = await mintToken({
      secret: SECRET,
      scopes: ['ingest', 'comments:read'],
      subject: 'cms',
      expiresIn: 600,
    });
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    assert.equal(payload.scope, 'ingest comments:read');
    assert.equal(payload.sub, 'cms');
    assert.equal(typeof payload.iat, 'number');
    assert.equal(payload.exp, (payload.iat ?? 0) + 600);
  });

  it('takes a time span and leaves sub out when not given', async () => {
    const token = await mintToken({ secret: SECRET, scopes: [], expiresIn: '2h' });
    const claims = decodeJwt(token);
    const lifetime = (claims.exp ?? 0) - (claims.iat ?? 0);
    assert.ok(lifetime >= 7200 && lifetime <= 7201, `lifetime ${lifetime}`); // a second may tick
    assert.equal('sub' in claims, false);
    assert.equal(claims.scope, '');
  });

  it('refuses a secret shorter than 32 characters', async () => {
    await assert.rejects(
      mintToken({ secret: 'short', scopes: ['admin'], expiresIn: 60 }),
      /at least 32 characters/,
    );
  });
});
