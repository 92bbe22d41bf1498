// Test support for the auth specs: signing keys, a JWKS served over real HTTP, a dead URL.
// Not used by the service itself.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

/** An asymmetric signing key and the public JWK a JWKS would publish for it. */
export interface TestSigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Generates a key pair for `alg` (RS256, RS512, EdDSA...) whose public JWK carries `kid`. */
export async function generateSigningKey(alg: string, kid: string): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

/** Signs `claims` with `key`, naming its kid (or `kid`), valid for an hour unless `exp` is given. */
export async function signWith(
  key: TestSigningKey,
  claims: JWTPayload,
  header: { kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid })
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '1h')
    .sign(key.privateKey);
}

/** A JWKS endpoint on 127.0.0.1; `status` other than 200 makes it answer with that error. */
export interface JwksServer {
  readonly url: URL;
  /** How many times the key set was fetched. */
  readonly requests: number;
  status: number;
  close(): Promise<void>;
}

/** Serves `{ keys }` as a JWKS at `/.well-known/jwks.json` on a free port. */
export async function startJwksServer(keys: readonly JWK[]): Promise<JwksServer> {
  let requests = 0;
  const state = { status: 200 };
  const server = createServer((_req, res) => {
    requests++;
    if (state.status !== 200) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys }));
  });
  const port = await listen(server);
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    get requests() {
      return requests;
    },
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () => close(server),
  };
}

/** A JWKS URL on 127.0.0.1 where nothing listens any more (connections are refused). */
export async function deadJwksUrl(): Promise<URL> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => {
    server.close((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}
