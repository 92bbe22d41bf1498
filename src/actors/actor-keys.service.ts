import { webcrypto } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { KeyVault } from './key-vault.js';

type KeyAlgorithm = 'rsa' | 'ed25519';

const ALGORITHMS: readonly KeyAlgorithm[] = ['rsa', 'ed25519'];

const IMPORT_PARAMS: Record<KeyAlgorithm, webcrypto.RsaHashedImportParams | webcrypto.Algorithm> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ed25519: { name: 'Ed25519' },
};

/** How long decrypted keys stay in memory before they are read again (rotation elsewhere). */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 5_000;

interface KeyRow {
  id: string;
  algorithm: KeyAlgorithm;
  public_jwk: webcrypto.JsonWebKey;
  private_sealed: string;
}

/** An actor's current signing key, ready for Fedify. */
export interface ActorKeyPair extends webcrypto.CryptoKeyPair {
  readonly algorithm: KeyAlgorithm;
}

/**
 * Actor signing keys: one RSA-2048 (draft-cavage) and one Ed25519 (RFC 9421, FEP-8b32) per actor,
 * generated once, private halves sealed with `SECRET_KEY` at rest. Private keys leave this class
 * only as `CryptoKey`s for Fedify, which signs with them (and carries them, as JWK, inside its
 * outbox queue messages: queue storage must be treated as secret as the database).
 */
@Injectable()
export class ActorKeysService {
  readonly #vault: KeyVault;
  readonly #cache = new Map<string, { at: number; pairs: Promise<ActorKeyPair[]> }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: RuntimeConfig,
  ) {
    this.#vault = new KeyVault(config.secretKey);
  }

  /** The actor's current key pairs, RSA first, generating any that are missing. */
  keyPairs(actorId: string): Promise<ActorKeyPair[]> {
    const hit = this.#cache.get(actorId);
    if (hit !== undefined && Date.now() - hit.at < CACHE_TTL_MS) return hit.pairs;
    const pairs = this.load(actorId);
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(actorId, { at: Date.now(), pairs });
    pairs.catch(() => this.#cache.delete(actorId));
    return pairs;
  }

  /** Retires the actor's current keys and creates new ones; returns the new pairs. */
  async rotate(actorId: string): Promise<ActorKeyPair[]> {
    const fresh = await Promise.all(ALGORITHMS.map((a) => this.generate(a)));
    await this.db.transaction(async (tx) => {
      await tx.query(
        'UPDATE actor_keys SET retired_at = now() WHERE actor_id = $1 AND retired_at IS NULL',
        [actorId],
      );
      for (const key of fresh) await this.insert(tx, actorId, key);
    });
    this.#cache.delete(actorId);
    return this.keyPairs(actorId);
  }

  private async load(actorId: string): Promise<ActorKeyPair[]> {
    let rows = await this.current(actorId);
    const missing = ALGORITHMS.filter((a) => !rows.some((r) => r.algorithm === a));
    if (missing.length > 0) {
      for (const algorithm of missing) {
        // Concurrent first uses race here; the partial unique index keeps exactly one.
        await this.insert(this.db, actorId, await this.generate(algorithm));
      }
      rows = await this.current(actorId);
    }
    return Promise.all(
      ALGORITHMS.map(async (algorithm) => {
        const row = rows.find((r) => r.algorithm === algorithm);
        if (row === undefined) throw new Error(`actor ${actorId} has no ${algorithm} key`);
        const privateJwk = JSON.parse(
          this.#vault.open(row.private_sealed, row.id),
        ) as webcrypto.JsonWebKey;
        const params = IMPORT_PARAMS[algorithm];
        return {
          algorithm,
          publicKey: await webcrypto.subtle.importKey('jwk', row.public_jwk, params, true, [
            'verify',
          ]),
          // Extractable because Fedify serializes signing keys into its outbox queue messages.
          privateKey: await webcrypto.subtle.importKey('jwk', privateJwk, params, true, ['sign']),
        };
      }),
    );
  }

  private async current(actorId: string): Promise<KeyRow[]> {
    return await this.db.query<KeyRow[]>(
      `SELECT id, algorithm, public_jwk, private_sealed FROM actor_keys
        WHERE actor_id = $1 AND retired_at IS NULL`,
      [actorId],
    );
  }

  private async generate(algorithm: KeyAlgorithm): Promise<GeneratedKey> {
    const pair = (await (algorithm === 'rsa'
      ? webcrypto.subtle.generateKey(
          {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
          true,
          ['sign', 'verify'],
        )
      : webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
          'sign',
          'verify',
        ]))) as webcrypto.CryptoKeyPair;
    return {
      algorithm,
      publicJwk: await webcrypto.subtle.exportKey('jwk', pair.publicKey),
      privateJwk: await webcrypto.subtle.exportKey('jwk', pair.privateKey),
    };
  }

  private async insert(
    db: Pick<DataSource, 'query'>,
    actorId: string,
    key: GeneratedKey,
  ): Promise<void> {
    const id = webcrypto.randomUUID();
    await db.query(
      `INSERT INTO actor_keys (id, actor_id, algorithm, public_jwk, private_sealed)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (actor_id, algorithm) WHERE retired_at IS NULL DO NOTHING`,
      [
        id,
        actorId,
        key.algorithm,
        key.publicJwk,
        this.#vault.seal(JSON.stringify(key.privateJwk), id),
      ],
    );
  }
}

interface GeneratedKey {
  readonly algorithm: KeyAlgorithm;
  readonly publicJwk: webcrypto.JsonWebKey;
  readonly privateJwk: webcrypto.JsonWebKey;
}
