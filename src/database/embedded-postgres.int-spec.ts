import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const query = async (url: string, sql: string): Promise<unknown[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as unknown[];
  } finally {
    await client.end();
  }
};

const postmasters = async (dir: string): Promise<number[]> => {
  const { readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('postgres') && cmd.includes(`${dir}/postgres`)) pids.push(Number(entry));
  }
  return pids;
};

describe('startEmbeddedPostgres', () => {
  const dirs: string[] = [];
  const freshDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'bridge-embedded-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) {
      for (const pid of await postmasters(dir)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('initialises once, and a restart finds the data intact', async () => {
    const dataDir = await freshDir();
    const lines: string[] = [];
    const first = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
    assert.ok(lines.some((l) => l.includes('initialising a new cluster')));
    await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$hello$$)');
    await first.stop();
    await first.stop(); // idempotent
    assert.deepEqual(await postmasters(dataDir), [], 'stopped means no postmaster is left');

    lines.length = 0;
    const second = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
    try {
      assert.ok(!lines.some((l) => l.includes('initialising')), 'no second initdb');
      assert.deepEqual(await query(second.url, 'SELECT v FROM kept'), [{ v: 'hello' }]);
      const password = (await readFile(join(dataDir, 'postgres.password'), 'utf8')).trim();
      assert.ok(second.url.includes(encodeURIComponent(password)), 'the kept password is reused');
    } finally {
      await second.stop();
    }
  });

  it('removes a stale postmaster.pid that names a live process which is not Postgres', async () => {
    const dataDir = await freshDir();
    const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
    await db.stop();
    const unrelated = spawn('sleep', ['30']);
    try {
      const lock = join(dataDir, 'postgres', 'postmaster.pid');
      await writeFile(lock, `${unrelated.pid ?? 0}\n${dataDir}/postgres\n`);
      const lines: string[] = [];
      const again = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
      assert.ok(
        lines.some((l) => l.includes('removing stale lock')),
        lines.join('\n'),
      );
      assert.deepEqual(await query(again.url, 'SELECT 1 AS ok'), [{ ok: 1 }]);
      await again.stop();
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('leaves alone a live process named postgres that runs on another directory (pid reuse)', async () => {
    const dataDir = await freshDir();
    const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
    await db.stop();
    const impostor = spawn('bash', ['-c', 'exec -a postgres sleep 30']);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const lock = join(dataDir, 'postgres', 'postmaster.pid');
      await writeFile(lock, `${impostor.pid ?? 0}\n${dataDir}/postgres\n`);
      const lines: string[] = [];
      const again = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
      await again.stop();
      assert.ok(
        lines.some((l) => l.includes('removing stale lock')),
        lines.join('\n'),
      );
      assert.equal(impostor.exitCode, null, 'the unrelated process was not signalled');
      assert.equal(impostor.signalCode, null);
    } finally {
      impostor.kill('SIGKILL');
    }
  });

  it('recovers after its owner is killed with SIGKILL (orphaned postmaster)', async () => {
    const dataDir = await freshDir();
    const moduleUrl = new URL('./embedded-postgres.js', import.meta.url).href;
    const owner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
         await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, log: () => {} });
         console.log('up'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('up')) resolve();
      });
      owner.once('exit', (code) => {
        reject(new Error(`owner exited early (${String(code)})`));
      });
    });
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    assert.equal((await postmasters(dataDir)).length, 1, 'the orphan is still running');

    const lines: string[] = [];
    const db = await startEmbeddedPostgres({ dataDir, log: (m) => lines.push(m) });
    try {
      assert.ok(
        lines.some((l) => l.includes('stopping orphaned postmaster')),
        lines.join('\n'),
      );
      assert.deepEqual(await query(db.url, 'SELECT 1 AS ok'), [{ ok: 1 }]);
      assert.equal((await postmasters(dataDir)).length, 1, 'exactly one postmaster now');
    } finally {
      await db.stop();
    }
  });

  it('refuses a DATA_DIR whose cluster a live process is running', async () => {
    const dataDir = await freshDir();
    const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
    try {
      await assert.rejects(
        startEmbeddedPostgres({ dataDir, log: () => undefined }),
        /belongs to running process \d+; is another instance using the same DATA_DIR/,
      );
    } finally {
      await db.stop();
    }
  });
});
