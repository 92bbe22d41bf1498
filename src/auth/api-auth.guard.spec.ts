import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { type ApiPrincipal, ApiAuthGuard, Principal, RequireScopes } from './api-auth.guard.js';
import { AuthModule } from './auth.module.js';
import { mintToken } from './mint-token.js';
import type { Scope } from './scopes.js';
import {
  deadJwksUrl,
  generateSigningKey,
  type JwksServer,
  signWith,
  startJwksServer,
  type TestSigningKey,
} from './testing.js';

const SECRET = 'g'.repeat(48);

@Controller('api/v1/comments')
@UseGuards(ApiAuthGuard)
class CommentsController {
  @Get()
  @RequireScopes('comments:read')
  list(@Principal() principal: ApiPrincipal) {
    return { subject: principal.subject ?? null, scopes: [...principal.scopes].sort() };
  }

  @Get('purge')
  @RequireScopes('admin')
  purge() {
    return { purged: true };
  }

  @Get('whoami')
  whoami(@Principal() principal: ApiPrincipal) {
    return { subject: principal.subject ?? null };
  }
}

@Controller('api/v1/moderation')
@UseGuards(ApiAuthGuard)
@RequireScopes('comments:read')
class ModerationController {
  @Get('hide')
  @RequireScopes('comments:write')
  hide() {
    return { hidden: true };
  }
}

/** A Nest app as the service builds it: ConfigModule from env, AuthModule, guarded controllers. */
async function startApp(
  env: Record<string, string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const config: RuntimeConfig = {
    ...loadConfig(env),
    databaseUrl: 'postgres://unused.invalid/bridge',
    secretKey: 'k'.repeat(32),
    embeddedDatabase: false,
  };
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), AuthModule],
    controllers: [CommentsController, ModerationController],
  }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), close: () => app.close() };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly wwwAuthenticate: string | null;
}

async function call(url: string, authorization?: string): Promise<Answer> {
  const res = await fetch(url, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return {
    status: res.status,
    body: await res.json(),
    wwwAuthenticate: res.headers.get('www-authenticate'),
  };
}

const hs256 = (scopes: Scope[], subject?: string): Promise<string> =>
  mintToken({
    secret: SECRET,
    scopes,
    expiresIn: 300,
    ...(subject === undefined ? {} : { subject }),
  });

describe('ApiAuthGuard over HTTP (HS256 and JWKS configured)', () => {
  let jwks: JwksServer;
  let ed: TestSigningKey;
  let app: { url: string; close(): Promise<void> };

  before(async () => {
    ed = await generateSigningKey('EdDSA', 'ed-1');
    jwks = await startJwksServer([ed.publicJwk]);
    app = await startApp({ API_JWT_SECRET: SECRET, API_JWKS_URL: jwks.url.href });
  });
  after(async () => {
    await app.close();
    await jwks.close();
  });

  it('answers 401 without a token, with a JSON reason and WWW-Authenticate', async () => {
    const answer = await call(`${app.url}/api/v1/comments`);
    assert.deepEqual(answer, {
      status: 401,
      body: { error: 'unauthorized', message: 'missing bearer token' },
      wwwAuthenticate: 'Bearer realm="api"',
    });
  });

  it('answers 401 for another authentication scheme', async () => {
    const answer = await call(`${app.url}/api/v1/comments`, `Basic ${btoa('user:pass')}`);
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'unauthorized', message: 'missing bearer token' });
  });

  it('answers 401 with invalid_token for a token signed with another secret', async () => {
    const token = await mintToken({ secret: 'x'.repeat(48), scopes: ['admin'], expiresIn: 300 });
    const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
    assert.deepEqual(answer, {
      status: 401,
      body: { error: 'unauthorized', message: 'signature invalid' },
      wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
    });
  });

  it('answers 401 for an expired token', async () => {
    const token = await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: -300 });
    const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'unauthorized', message: 'token expired' });
  });

  it('answers 403 with the scope needed when the token lacks it', async () => {
    const token = await hs256(['comments:read', 'comments:write', 'ingest']);
    const answer = await call(`${app.url}/api/v1/comments/purge`, `Bearer ${token}`);
    assert.deepEqual(answer, {
      status: 403,
      body: { error: 'forbidden', message: 'this endpoint requires scope admin' },
      wwwAuthenticate: 'Bearer realm="api", error="insufficient_scope", scope="admin"',
    });
  });

  it('answers 200 with the right scope and hands the principal to the handler', async () => {
    const token = await hs256(['comments:read', 'ingest'], 'cms');
    const answer = await call(`${app.url}/api/v1/comments`, `bearer ${token}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { subject: 'cms', scopes: ['comments:read', 'ingest'] });
  });

  it('lets admin through a comments:read route', async () => {
    const token = await hs256(['admin']);
    const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { subject: null, scopes: ['admin'] });
  });

  it('accepts an EdDSA token from the JWKS', async () => {
    const token = await signWith(ed, { scope: 'comments:read', sub: 'platform' });
    const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { subject: 'platform', scopes: ['comments:read'] });
  });

  it('still needs a valid token on a route without @RequireScopes', async () => {
    assert.equal((await call(`${app.url}/api/v1/comments/whoami`)).status, 401);
    const token = await hs256([], 'nobody-special');
    const answer = await call(`${app.url}/api/v1/comments/whoami`, `Bearer ${token}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { subject: 'nobody-special' });
  });

  it('adds the controller scopes to the handler scopes', async () => {
    const writeOnly = await hs256(['comments:write']);
    const answer = await call(`${app.url}/api/v1/moderation/hide`, `Bearer ${writeOnly}`);
    assert.equal(answer.status, 403);
    assert.deepEqual(answer.body, {
      error: 'forbidden',
      message: 'this endpoint requires scopes comments:read comments:write',
    });
    const both = await hs256(['comments:read', 'comments:write']);
    assert.equal((await call(`${app.url}/api/v1/moderation/hide`, `Bearer ${both}`)).status, 200);
  });
});

describe('ApiAuthGuard over HTTP when tokens cannot be checked', () => {
  let rsa: TestSigningKey;

  before(async () => {
    rsa = await generateSigningKey('RS256', 'rsa-1');
  });

  it('answers 503 auth_unavailable when the JWKS is down', async () => {
    const app = await startApp({ API_JWKS_URL: (await deadJwksUrl()).href });
    try {
      const token = await signWith(rsa, { scope: 'admin' });
      const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
      assert.deepEqual(answer, {
        status: 503,
        body: { error: 'auth_unavailable', message: 'JWKS unavailable: fetch failed' },
        wwwAuthenticate: null,
      });
    } finally {
      await app.close();
    }
  });

  it('answers 503 saying what to set when authentication is not configured', async () => {
    const app = await startApp({});
    try {
      const token = await mintToken({ secret: SECRET, scopes: ['admin'], expiresIn: 60 });
      const answer = await call(`${app.url}/api/v1/comments`, `Bearer ${token}`);
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, {
        error: 'auth_unavailable',
        message: 'API authentication is not configured (set API_JWT_SECRET or API_JWKS_URL)',
      });
    } finally {
      await app.close();
    }
  });
});
