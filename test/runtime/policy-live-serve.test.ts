/**
 * Live policy across processes: a running `symphainy serve` on PostgreSQL
 * picks up `symphainy policy apply` run by another process, without restart.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freshServerDb, TEST_DRIVER } from '../support/test-runtime.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_') || k === 'SYMPHAINY_KEY_DIR' || k === 'SYMPHAINY_KEK') out[k] = v; // the run's shared key store stays
  return { ...out, SYMPHAINY_LOG_LEVEL: 'warn', SYMPHAINY_ADMIN_KEY: 'live-policy-admin-key-0123456789abcdefghij' };
}

describe('live policy: serve follows policy apply from another process (postgres)', { skip: TEST_DRIVER === 'postgres' ? false : 'needs SYMPHAINY_TEST_DRIVER=postgres (two processes on one store)' }, () => {
  it('explain on the running server answers under the applied policy, and runs decide by it', { timeout: 300_000 }, async () => {
    const db = await freshServerDb();
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-live-serve-'));
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--demo', '--database-url', db.url, '--artifacts', join(dir, 'blobs')], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    try {
      const deadline = Date.now() + 120_000; // a guard against hanging, not a timing expectation
      let url: string | undefined;
      while (!(url = /SymphAIny API on (http:\/\/[^\s]+) /.exec(err)?.[1]) || !out.includes('curl')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const key = /export KEY=(\S+)/.exec(out)![1]!;
      const explainSop = async () => {
        const res = await fetch(`${url}/v1/policy/explain`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ resultType: 'sop' }) });
        assert.equal(res.status, 200);
        return ((await res.json()) as { result: { decision: string; policyVersion: string } }).result;
      };
      assert.equal((await explainSop()).decision, 'discard');

      const config = join(dir, 'keep-sop.yaml');
      await writeFile(config, 'name: keep-sop\nmaterialization_policy:\n  sop: persist\n');
      const applied = await new Promise<{ policyVersion: string }>((resolve, reject) =>
        execFile(process.execPath, [bin, '--database-url', db.url, 'policy', 'apply', '--config', config, '--json'], { cwd: root, env: env() }, (e, o, se) =>
          e ? reject(new Error(`${e.message}\n${se}`)) : resolve(JSON.parse(o)),
        ),
      );
      const until = Date.now() + 60_000;
      let now = await explainSop();
      while (now.policyVersion !== applied.policyVersion && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        now = await explainSop();
      }
      assert.deepEqual([now.decision, now.policyVersion], ['persist', applied.policyVersion], 'the running server switched without restart');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
