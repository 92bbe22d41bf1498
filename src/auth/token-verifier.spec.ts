import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportSPKI, importJWK, SignJWT } from 'jose';
import { mintToken } from './mint-token.js';
import {
  deadJwksUrl,
  generateSigningKey,
  type JwksServer,
  signWith,
  startJwksServer,
  type TestSigningKey,
} from './testing.js';
import { type Rejection, TokenVerifier, type VerifiedToken } from './token-verifier.js';

const SECRET = 's'.repeat(40);

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;

function accepted(result: VerifiedToken | Rejection): VerifiedToken {
  assert.ok(result.ok, `expected the token to be accepted, got: ${result.ok ? '' : result.reason}`);
  return result;
}

function rejected(result: VerifiedToken | Rejection): Rejection {
  assert.ok(!result.ok, 'expected the token to be rejected');
  return result;
}

describe('TokenVerifier with an HS256 secret', () => {
  const sut = new TokenVerifier({ jwtSecret: SECRET });

  it('accepts a valid token and reads its subject and known scopes', async () => {
    const token = await mintToken({
      secret: SECRET,
      scopes: ['comments:read', 'ingest'],
      subject: 'platform-api',
      expiresIn: 300,
    });
    const result = accepted(await sut.verify(token));
    assert.equal(result.subject, 'platform-api');
    assert.deepEqual([...result.scopes].sort(), ['comments:read', 'ingest']);
    assert.equal(result.claims.sub, 'platform-api');
  });

  it('ignores scopes it does not know', async () => {
    const token = await new SignJWT({ scope: 'ingest billing:write  comments:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const result = accepted(await sut.verify(token));
    assert.deepEqual([...result.scopes].sort(), ['comments:read', 'ingest']);
  });

  it('rejects an expired token', async () => {
    const token = await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: -120 });
    assert.deepEqual(await sut.verify(token), {
      ok: false,
      kind: 'invalid',
      reason: 'token expired',
    });
  });

  it('allows 30 seconds of clock skew on exp by default', async () => {
    const token = await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: -10 });
    accepted(await sut.verify(token));
    const strict = new TokenVerifier({ jwtSecret: SECRET, clockToleranceSec: 0 });
    assert.equal(rejected(await strict.verify(token)).reason, 'token expired');
  });

  it('rejects a token without exp', async () => {
    const token = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(SECRET));
    assert.equal(rejected(await sut.verify(token)).reason, 'token has no exp claim');
  });

  it('rejects a token that is not valid yet', async () => {
    const token = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore('10m')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    assert.equal(
      rejected(await sut.verify(token)).reason,
      'token not valid yet (nbf is in the future)',
    );
  });

  it('rejects a token signed with another secret', async () => {
    const token = await mintToken({ secret: 'o'.repeat(40), scopes: ['admin'], expiresIn: 300 });
    assert.deepEqual(await sut.verify(token), {
      ok: false,
      kind: 'invalid',
      reason: 'signature invalid',
    });
  });

  it('rejects an unsigned token (alg none)', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ scope: 'admin', exp: inAnHour() })}.`;
    assert.equal(
      rejected(await sut.verify(token)).reason,
      'unsigned tokens (alg none) are not accepted',
    );
  });

  it('rejects RS256 tokens when no JWKS is configured', async () => {
    const key = await generateSigningKey('RS256', 'k1');
    const token = await signWith(key, { scope: 'admin' });
    assert.equal(
      rejected(await sut.verify(token)).reason,
      'RS256 tokens are not accepted: API_JWKS_URL is not set',
    );
  });

  it('rejects a scope claim that is not a string', async () => {
    const token = await new SignJWT({ scope: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    assert.equal(
      rejected(await sut.verify(token)).reason,
      'scope claim must be a string of space-separated scopes',
    );
  });

  it('rejects something that is not a JWS', async () => {
    assert.match(rejected(await sut.verify('not-a-token')).reason, /^malformed token/);
  });

  it('refuses a secret shorter than 32 characters', () => {
    assert.throws(() => new TokenVerifier({ jwtSecret: 'short' }), /at least 32 characters/);
  });
});

describe('TokenVerifier with a JWKS', () => {
  let rsa: TestSigningKey;
  let ed: TestSigningKey;
  let rs512: TestSigningKey;
  let jwks: JwksServer;

  before(async () => {
    rsa = await generateSigningKey('RS256', 'rsa-1');
    ed = await generateSigningKey('EdDSA', 'ed-1');
    rs512 = await generateSigningKey('RS512', 'rsa-512');
    jwks = await startJwksServer([rsa.publicJwk, ed.publicJwk, rs512.publicJwk]);
  });
  after(async () => {
    await jwks.close();
  });

  it('accepts an RS256 token signed by a key in the JWKS', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const token = await signWith(rsa, { scope: 'ingest', sub: 'publisher' });
    const result = accepted(await sut.verify(token));
    assert.equal(result.subject, 'publisher');
    assert.deepEqual([...result.scopes], ['ingest']);
  });

  it('accepts an EdDSA token signed by a key in the JWKS', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const token = await signWith(ed, { scope: 'comments:write' });
    assert.deepEqual([...accepted(await sut.verify(token)).scopes], ['comments:write']);
  });

  it('fetches the JWKS once and reuses it', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const before = jwks.requests;
    accepted(await sut.verify(await signWith(rsa, { scope: 'ingest' })));
    accepted(await sut.verify(await signWith(ed, { scope: 'ingest' })));
    assert.equal(jwks.requests - before, 1);
  });

  it('rejects RS512 even when the JWKS holds the key', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const token = await signWith(rs512, { scope: 'admin' });
    assert.equal(
      rejected(await sut.verify(token)).reason,
      'unsupported alg RS512: use HS256, RS256, EdDSA',
    );
  });

  it('rejects a token whose kid is not in the JWKS', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const stranger = await generateSigningKey('RS256', 'rsa-unknown');
    const token = await signWith(stranger, { scope: 'admin' });
    assert.deepEqual(await sut.verify(token), {
      ok: false,
      kind: 'invalid',
      reason: "no RS256 key in the JWKS matches the token's kid",
    });
  });

  it('rejects a token signed by another key that claims a known kid', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const impostor = await generateSigningKey('RS256', 'rsa-1');
    const token = await signWith(impostor, { scope: 'admin' });
    assert.equal(rejected(await sut.verify(token)).reason, 'signature invalid');
  });

  it('rejects an expired RS256 token', async () => {
    const sut = new TokenVerifier({ jwksUrl: jwks.url });
    const token = await signWith(rsa, { scope: 'admin', exp: Math.floor(Date.now() / 1000) - 120 });
    assert.equal(rejected(await sut.verify(token)).reason, 'token expired');
  });

  describe('algorithm confusion: HS256 signed with the public key as the secret', () => {
    const confused = async (): Promise<string[]> => {
      const pem = await exportSPKI(await publicKeyOf(rsa));
      const jwkJson = JSON.stringify(rsa.publicJwk);
      return Promise.all(
        [pem, jwkJson].map((secret) =>
          new SignJWT({ scope: 'admin' })
            .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(secret)),
        ),
      );
    };

    it('is rejected when only the JWKS is configured', async () => {
      const sut = new TokenVerifier({ jwksUrl: jwks.url });
      for (const token of await confused()) {
        assert.equal(
          rejected(await sut.verify(token)).reason,
          'HS256 tokens are not accepted: API_JWT_SECRET is not set',
        );
      }
    });

    it('is rejected when both are configured (checked against the secret only)', async () => {
      const sut = new TokenVerifier({ jwtSecret: SECRET, jwksUrl: jwks.url });
      for (const token of await confused()) {
        assert.equal(rejected(await sut.verify(token)).reason, 'signature invalid');
      }
      // The same verifier still takes both kinds of genuine token.
      accepted(await sut.verify(await signWith(rsa, { scope: 'admin' })));
      accepted(
        await sut.verify(await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: 60 })),
      );
    });
  });

  it('reports an unreachable JWKS as unavailable, not as a bad token', async () => {
    const sut = new TokenVerifier({ jwksUrl: await deadJwksUrl() });
    const result = rejected(await sut.verify(await signWith(rsa, { scope: 'admin' })));
    assert.equal(result.kind, 'unavailable');
    assert.equal(result.reason, 'JWKS unavailable: fetch failed');
    assert.match(result.detail ?? '', /ECONNREFUSED/);
  });

  it('reports a JWKS answering 500 as unavailable', async () => {
    const failing = await startJwksServer([rsa.publicJwk]);
    failing.status = 500;
    try {
      const sut = new TokenVerifier({ jwksUrl: failing.url });
      const result = rejected(await sut.verify(await signWith(rsa, { scope: 'admin' })));
      assert.equal(result.kind, 'unavailable');
      assert.match(result.reason, /^JWKS unavailable: Expected 200 OK/);
    } finally {
      await failing.close();
    }
  });
});

describe('TokenVerifier with nothing configured', () => {
  it('rejects every token as unavailable, saying what to set', async () => {
    const sut = new TokenVerifier({});
    const token = await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: 60 });
    assert.deepEqual(await sut.verify(token), {
      ok: false,
      kind: 'unavailable',
      reason: 'API authentication is not configured (set API_JWT_SECRET or API_JWKS_URL)',
    });
    assert.equal(sut.configured, false);
  });
});

async function publicKeyOf(key: TestSigningKey): Promise<CryptoKey> {
  const imported = await importJWK(key.publicJwk, key.alg);
  assert.ok(!(imported instanceof Uint8Array));
  return imported;
}
