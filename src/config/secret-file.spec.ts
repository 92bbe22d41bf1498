import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readOrCreateSecretFile } from './secret-file.js';

describe('readOrCreateSecretFile', () => {
  const dirs: string[] = [];
  const file = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'bridge-secret-'));
    dirs.push(dir);
    return join(dir, 'secret.key');
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('generates a secret once, private to its owner, and reads the same one back', async () => {
    const path = await file();
    const first = await readOrCreateSecretFile(path);
    assert.equal(first.created, true);
    assert.equal(first.secret.length, 43);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const second = await readOrCreateSecretFile(path);
    assert.deepEqual(second, { secret: first.secret, created: false });
    assert.equal((await readFile(path, 'utf8')).trim(), first.secret);
  });

  it('refuses a truncated file instead of using a weak secret', async () => {
    const path = await file();
    await writeFile(path, 'short\n');
    await assert.rejects(readOrCreateSecretFile(path), /holds 5 characters, fewer than 32/);
  });
});
