import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals private keys at rest with AES-256-GCM under a key derived (HKDF-SHA256) from `SECRET_KEY`.
 * A sealed value is bound to its context (the key row's id), so a sealed key copied to another
 * row does not open. Format: `v1.<iv>.<ciphertext+tag>` in base64url.
 */
export class KeyVault {
  readonly #key: Buffer;

  constructor(secretKey: string) {
    this.#key = Buffer.from(
      hkdfSync('sha256', secretKey, 'fediverse-bridge', 'actor private keys v1', 32),
    );
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a sealed value; throws when it was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    const [version, ivText, bodyText] = sealed.split('.');
    if (version !== VERSION || ivText === undefined || bodyText === undefined) {
      throw new Error('sealed key has an unknown format');
    }
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error('sealed key does not open with this SECRET_KEY (was SECRET_KEY changed?)');
    }
  }
}
