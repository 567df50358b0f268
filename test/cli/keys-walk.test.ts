import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// A new user's walk through keys and erasure on a real data dir, as the README's commands run it.

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');
const realm = join(root, 'examples/crm-realm.mjs');
const platform = join(root, 'examples/subjects-platform.yaml');
const policy = join(root, 'config/mvp_materialization_policy.yaml');

/** `symphainy` with only the given SYMPHAINY_ variables (the data dir's own key store otherwise). */
function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...extra };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, cwd: root }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const note = (dataDir: string, customer: string, withPolicy = true) => cli([
  'run', 'crm.note', '--realm', realm, ...(withPolicy ? ['--platform-policy', platform] : []), '--config', policy,
  '--tenant', 'acme', '--session', 's1', '--params', JSON.stringify({ customer_id: customer, note: `about ${customer}` }), '--data-dir', dataDir,
]);

describe('keys and erasure on a real data dir', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-keys-walk-'));
    dataDir = join(dir, 'data');
    for (const customer of ['43', '44']) {
      const r = await note(dataDir, customer);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a lost tenant key file: listing still works, a write refuses naming the key and its file, and no key is issued under its id', async () => {
    const copy = join(dir, 'k5');
    await cp(dataDir, copy, { recursive: true });
    const tenantKey = (await readdir(join(copy, 'keys'))).find((n) => n.startsWith('t.') && n.endsWith('.key'))!;
    await rm(join(copy, 'keys', tenantKey));
    const list = await cli(['executions', 'list', '--tenant', 'acme', '--data-dir', copy]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.split('\n').filter((l) => l.includes('crm.note')).length, 2, list.stdout);
    const run = await note(copy, '45');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /SYM_ERR_KEY_UNAVAILABLE/);
    assert.ok(run.stderr.includes(tenantKey.replace(/\.key$/, '')) && run.stderr.includes(join(copy, 'keys', tenantKey)), run.stderr);
    assert.doesNotMatch(run.stderr, /SYM_ERR_STORE|\n\s+at /);
    assert.ok(!(await readdir(join(copy, 'keys'))).includes(tenantKey));
    // Restored from the backup, everything opens and writes go on under the same key.
    await copyFile(join(dataDir, 'keys', tenantKey), join(copy, 'keys', tenantKey));
    assert.equal((await note(copy, '45')).code, 0);
    const json = await cli(['executions', 'list', '--tenant', 'acme', '--json', '--data-dir', copy]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).map((e: { parameters: { customer_id: string } }) => e.parameters.customer_id).sort(), ['43', '44', '45']);
  });

  test('keys rotate and erase of a subject value or session nobody used: rotate refuses, erase says nothing matched (exit 0)', async () => {
    const before = (await readdir(join(dataDir, 'keys'))).sort();
    const rotate = await cli(['keys', 'rotate', '--tenant', 'acme', '--subject', 'customer_id=nobody', '--platform-policy', platform, '--data-dir', dataDir]);
    assert.equal(rotate.code, 2);
    assert.match(rotate.stderr, /no data key of subject customer_id of tenant acme exists: no record of that subject value was sealed/);
    const session = await cli(['keys', 'rotate', '--tenant', 'acme', '--session', 'nobody', '--data-dir', dataDir]);
    assert.equal(session.code, 2);
    assert.match(session.stderr, /no data key of session nobody of tenant acme exists/);
    for (const scope of [['--subject', 'customer_id=nobody'], ['--session', 'nobody']]) {
      const erase = await cli(['erase', '--tenant', 'acme', ...scope, '--platform-policy', platform, '--data-dir', dataDir]);
      assert.equal(erase.code, 0, erase.stderr);
      assert.match(erase.stdout, /nothing matched: .* nothing was erased/);
    }
    assert.deepEqual((await readdir(join(dataDir, 'keys'))).sort(), before, 'no key was made');
  });

  test("erase without the platform policy that declared the subject destroys the subject's key and reports it", async () => {
    const copy = join(dir, 'no-policy');
    await cp(dataDir, copy, { recursive: true });
    const subjectKeys = (await readdir(join(copy, 'keys'))).filter((n) => n.startsWith('u.') && n.endsWith('.key'));
    assert.equal(subjectKeys.length, 2);
    const erase = await cli(['erase', '--tenant', 'acme', '--subject', 'customer_id=43', '--json', '--data-dir', copy]);
    assert.equal(erase.code, 0, erase.stderr);
    const report = JSON.parse(erase.stdout);
    assert.equal(report.executions.length, 1);
    assert.equal(report.keys.destroyed.length, 1);
    assert.match(report.keys.destroyed[0], /^u\./);
    assert.doesNotMatch(report.keys.fallback ?? '', /no key of its own/);
    const left = (await readdir(join(copy, 'keys'))).filter((n) => n.startsWith('u.') && n.endsWith('.key'));
    assert.deepEqual(left, subjectKeys.filter((n) => n !== `${report.keys.destroyed[0]}.key`));
    // Rotating a subject's key works without the policy too, once it exists.
    const rotate = await cli(['keys', 'rotate', '--tenant', 'acme', '--subject', 'customer_id=44', '--data-dir', copy]);
    assert.equal(rotate.code, 0, rotate.stderr);
  });

  test('a wrong SYMPHAINY_KEK is a configuration error (exit 2); wal verify works without the keys', async () => {
    const wrong = { SYMPHAINY_KEK: `kek-wrong:${Buffer.alloc(32, 9).toString('base64')}` };
    const list = await cli(['executions', 'list', '--tenant', 'acme', '--data-dir', dataDir], wrong);
    assert.equal(list.code, 2, list.stderr);
    assert.match(list.stderr, /SYM_ERR_CONFIG.*naming\.1.*SYMPHAINY_KEK/);
    const verify = await cli(['wal', 'verify', '--data-dir', dataDir], wrong);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^acme: OK \(\d+ records/m);
  });
});
