import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirLock } from '../../src/runtime/data-dir-lock.ts';

const lockModule = fileURLToPath(new URL('../../src/runtime/data-dir-lock.ts', import.meta.url));

test('processes started together hold a data dir one at a time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-lock-'));
  const log = join(dir, 'log');
  const worker = join(dir, 'worker.mts');
  await writeFile(
    worker,
    `import { appendFileSync } from 'node:fs';
     import { DataDirLock } from ${JSON.stringify(lockModule)};
     const lock = await DataDirLock.acquire(${JSON.stringify(join(dir, 'data'))}, 60_000);
     appendFileSync(${JSON.stringify(log)}, 'start ' + process.pid + '\\n');
     await new Promise((r) => setTimeout(r, 30));
     appendFileSync(${JSON.stringify(log)}, 'end ' + process.pid + '\\n');
     await lock.release();`,
  );
  try {
    const runs = Array.from({ length: 12 }, () =>
      new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', worker], (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())),
      ),
    );
    await Promise.all(runs);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 24);
    for (let i = 0; i < lines.length; i += 2) {
      const [start, end] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
      assert.equal(start[0], 'start');
      assert.deepEqual(end, ['end', start[1]], `holder ${start[1]} overlapped with another: ${lines.join(' | ')}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process that is gone is taken over; one naming this process but not held here is stale too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-lock-'));
  try {
    await writeFile(join(dir, 'lock'), '2147483646'); // no such process
    const a = await DataDirLock.acquire(dir, 1000);
    await a.release();
    await writeFile(join(dir, 'lock'), String(process.pid)); // a reused pid after a kill
    const b = await DataDirLock.acquire(dir, 1000);
    await assert.rejects(DataDirLock.acquire(dir, 100), { code: 'SYM_ERR_DATA_DIR_LOCKED' });
    await b.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
