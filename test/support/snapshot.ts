import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file with a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test support files');
    dir = parent;
  }
  return dir;
}

/**
 * Compares `actual` with the snapshot file `test/snapshots/{name}` (JSON for objects, text for
 * strings). A missing or different snapshot fails — it is never written silently — unless
 * `UPDATE_SNAPSHOTS=1`, which (re)writes it: review the diff before committing.
 */
export async function matchSnapshot(name: string, actual: unknown): Promise<void> {
  const path = join(repoRoot(), 'test', 'snapshots', name);
  const text = typeof actual === 'string' ? actual : `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(
      `snapshot test/snapshots/${name} is missing: run with UPDATE_SNAPSHOTS=1 and review it`,
    );
  }
  const expected = await readFile(path, 'utf8');
  if (expected !== text) {
    assert.equal(
      text,
      expected,
      `snapshot test/snapshots/${name} differs (UPDATE_SNAPSHOTS=1 rewrites it)`,
    );
  }
}
