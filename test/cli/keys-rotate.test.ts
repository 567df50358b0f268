import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createRuntime, defineRealm } from '../../src/index.ts';
import { silentLogger } from '../support/test-runtime.ts';

const bin = fileURLToPath(new URL('../../bin/symphainy.js', import.meta.url));

/** `symphainy` with the data dir's own key store (no KEK or key dir from the caller's environment). */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const notes = defineRealm({
  name: 'notes',
  intents: { write: { params: z.object({ text: z.string() }), handler: ({ text }: { text: string }) => ({ artifacts: { note: { resultType: 'note', semanticPayload: { text } } } }) } },
});

describe('symphainy keys rotate', () => {
  let dir: string;
  let executionId: string;
  const open = () => createRuntime({ dataDir: dir, realms: [notes], logger: silentLogger }, { env: {} });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-keys-'));
    const rt = await open();
    executionId = (await rt.execute({ intentType: 'notes.write', tenantId: 'acme', sessionId: 's', parameters: { text: 'sealed note' } })).executionId;
    await rt.close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('refuses a data dir that does not exist, and an unknown tenant', async () => {
    const missing = await cli(['--data-dir', join(dir, 'nope'), 'keys', 'rotate', '--tenant', 'acme']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /data dir .*nope does not exist/);
    const unknown = await cli(['--data-dir', dir, 'keys', 'rotate', '--tenant', 'ghost']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /tenant 'ghost' is not known to this store/);
    const session = await cli(['--data-dir', dir, 'keys', 'rotate', '--tenant', 'acme', '--session', '../x']);
    assert.equal(session.code, 2);
    assert.match(session.stderr, /--session must be a session id/);
    const undeclared = await cli(['--data-dir', dir, 'keys', 'rotate', '--tenant', 'acme', '--subject', 'a=b=c']);
    assert.equal(undeclared.code, 2);
    assert.match(undeclared.stderr, /subject 'a' is not declared in the platform policy's subjects \(none declared\)/);
  });

  test('erase refuses the same mistakes instead of reporting "0 erased": a missing data dir, an unknown tenant, an empty subject value', async () => {
    const missing = await cli(['--data-dir', join(dir, 'nope'), 'erase', '--tenant', 'acme']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /erase: the data dir .*nope does not exist/);
    const unknown = await cli(['--data-dir', dir, 'erase', '--tenant', 'ghost']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /erase: tenant 'ghost' is not known to this store/);
    const empty = await cli(['--data-dir', dir, 'erase', '--tenant', 'acme', '--subject', 'customer_id=']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--subject must be KEY=VALUE/);
    for (const r of [missing, unknown, empty]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    // Nothing was created or erased by the refusals.
    const rt = await open();
    try {
      assert.equal((await rt.listWal({ tenantId: 'acme', recordType: 'erasure' })).length, 0);
    } finally {
      await rt.close();
    }
  });

  test("a tenant's data key gets a new generation; the KEK is replaced and every key rewrapped; old records still open", async () => {
    const rotated = await cli(['--data-dir', dir, 'keys', 'rotate', '--tenant', 'acme', '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(JSON.parse(rotated.stdout).rotated[0].keyId, /^t\.[0-9a-f]+\.2$/);

    const kekBefore = await readFile(join(dir, 'kek'), 'utf8');
    const kek = await cli(['--data-dir', dir, 'keys', 'rotate', '--kek', '--json']);
    assert.equal(kek.code, 0, kek.stderr);
    const report = JSON.parse(kek.stdout).kek;
    assert.ok(report.rewrapped.length >= 3, 'the naming key and both tenant key generations');
    assert.equal(report.retired.length, 1);
    const kekAfter = await readFile(join(dir, 'kek'), 'utf8');
    assert.notEqual(kekAfter, kekBefore);
    assert.equal(kekAfter.trim().split('\n').length, 1, 'only the new KEK is left');

    const rt = await open();
    try {
      assert.equal((await rt.getExecution(executionId, { tenantId: 'acme' })).parameters.text, 'sealed note');
    } finally {
      await rt.close();
    }
  });
});
