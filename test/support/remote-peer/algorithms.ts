/**
 * Signature algorithms by their RFC 9421 names (§3.3), mapped onto node:crypto. draft-cavage's
 * `rsa-sha256` is `rsa-v1_5-sha256`; its `hs2019` means "whatever the key is".
 */
import { type KeyObject, constants, sign, verify } from 'node:crypto';

/** Algorithms the peer signs and verifies with. */
export type SignatureAlgorithm =
  'rsa-v1_5-sha256' | 'rsa-pss-sha512' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ed25519';

const ALGORITHMS: readonly SignatureAlgorithm[] = [
  'rsa-v1_5-sha256',
  'rsa-pss-sha512',
  'ecdsa-p256-sha256',
  'ecdsa-p384-sha384',
  'ed25519',
];

/** Whether `name` is one of the supported RFC 9421 algorithm names. */
export function isSignatureAlgorithm(name: string): name is SignatureAlgorithm {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** The algorithm a key implies (used when a signature names none). */
export function algorithmForKey(key: KeyObject): SignatureAlgorithm | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'rsa-v1_5-sha256';
    case 'rsa-pss':
      return 'rsa-pss-sha512';
    case 'ed25519':
      return 'ed25519';
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
        ? 'ecdsa-p384-sha384'
        : 'ecdsa-p256-sha256';
    case 'dsa':
    case 'ed448':
    case 'x25519':
    case 'x448':
    case undefined:
      return undefined;
  }
}

/** Whether the key can be used with the algorithm (an RSA key cannot check an Ed25519 signature). */
export function keyFitsAlgorithm(key: KeyObject, algorithm: SignatureAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  switch (algorithm) {
    case 'rsa-v1_5-sha256':
      return type === 'rsa';
    case 'rsa-pss-sha512':
      return type === 'rsa' || type === 'rsa-pss';
    case 'ed25519':
      return type === 'ed25519';
    case 'ecdsa-p256-sha256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'ecdsa-p384-sha384':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  }
}

function params(algorithm: SignatureAlgorithm, key: KeyObject) {
  switch (algorithm) {
    case 'rsa-v1_5-sha256':
      return { hash: 'sha256', key: { key, padding: constants.RSA_PKCS1_PADDING } };
    case 'rsa-pss-sha512':
      return {
        hash: 'sha512',
        key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
      };
    case 'ecdsa-p256-sha256':
      return { hash: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'ecdsa-p384-sha384':
      return { hash: 'sha384', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'ed25519':
      return { hash: null, key: { key } };
  }
}

/** Signs `data` with a private key. */
export function signBytes(
  algorithm: SignatureAlgorithm,
  privateKey: KeyObject,
  data: string,
): Buffer {
  const p = params(algorithm, privateKey);
  return sign(p.hash, Buffer.from(data, 'utf8'), p.key);
}

/** Verifies a signature over `data`; false (never a throw) for a malformed signature. */
export function verifyBytes(
  algorithm: SignatureAlgorithm,
  publicKey: KeyObject,
  data: string,
  signature: Uint8Array,
): boolean {
  if (!keyFitsAlgorithm(publicKey, algorithm)) return false;
  const p = params(algorithm, publicKey);
  try {
    return verify(p.hash, Buffer.from(data, 'utf8'), p.key, signature);
  } catch {
    return false;
  }
}
