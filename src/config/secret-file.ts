import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * Reads a secret kept in a file, or generates one into it (mode 0600) on first use. A file that
 * exists but holds less than `minLength` characters is an error, not a silently weak secret.
 * Returns the secret and whether it was generated now.
 */
export async function readOrCreateSecretFile(
  file: string,
  minLength = 32,
): Promise<{ secret: string; created: boolean }> {
  let existing: string | undefined;
  try {
    existing = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined) {
    if (existing.length < minLength) {
      throw new Error(
        `${file} holds ${existing.length} characters, fewer than ${minLength}: ` +
          'restore it from backup (data encrypted or stored with the old secret needs it)',
      );
    }
    return { secret: existing, created: false };
  }
  const secret = randomBytes(32).toString('base64url'); // 43 characters
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, created: true };
}
