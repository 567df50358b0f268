import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPolicyResolver } from '../../src/policy/policy-resolver.ts';

/**
 * Loading a policy is linear in its size. Not a timed assertion: the growth
 * from n to 16n entries is compared (best of three each, to shed a busy
 * machine's noise) with a very generous bound — linear grows about 16x,
 * quadratic about 256x.
 */
async function best(fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

describe('loading a policy file is linear in its size', () => {
  it('a solution config: 16x the entries costs well under 256x the time; a 1 MB file with 50k entries loads', { timeout: 600_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-load-'));
    try {
      const file = async (n: number) => {
        const path = join(dir, `s${n}.yaml`);
        await writeFile(path, `materialization_policy:\n${Array.from({ length: n }, (_, i) => `  type_${i}: { decision: cache, cache_ttl: 10m }\n`).join('')}`);
        return path;
      };
      const small = await file(1250);
      const large = await file(20_000);
      const ratio = (await best(() => loadPolicyResolver({ solution: large }))) / (await best(() => loadPolicyResolver({ solution: small })));
      t.diagnostic(`16x the entries: ${ratio.toFixed(1)}x the time`);
      assert.ok(ratio < 80, `16x the entries took ${ratio.toFixed(1)}x the time`);
      const mb = join(dir, 'mb.yaml');
      await writeFile(mb, `materialization_policy:\n${Array.from({ length: 50_000 }, (_, i) => `  t_${i}: persist\n`).join('')}${'#'.repeat(64)}\n`.padEnd(1 << 20, '#'));
      const started = performance.now();
      const resolver = await loadPolicyResolver({ solution: mb });
      t.diagnostic(`1 MB, 50k entries: loaded in ${Math.round(performance.now() - started)} ms`);
      assert.equal(resolver.runtime.describe().types.filter((t) => t.decision === 'persist').length, 50_000 + 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a platform policy: 16x the governance rules costs well under 256x the time', { timeout: 600_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-load-'));
    try {
      const file = async (n: number) => {
        const path = join(dir, `p${n}.yaml`);
        const rules = Array.from({ length: n }, (_, i) => `  - { id: r${i}, match: { result_type: [type_${i}], tenant: [acme] }, decision: persist }\n`);
        await writeFile(path, `governance:\n${rules.join('')}`);
        return path;
      };
      const small = await file(250);
      const large = await file(4000);
      const ratio = (await best(() => loadPolicyResolver({ platform: large }))) / (await best(() => loadPolicyResolver({ platform: small })));
      t.diagnostic(`16x the rules: ${ratio.toFixed(1)}x the time`);
      assert.ok(ratio < 80, `16x the rules took ${ratio.toFixed(1)}x the time`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a key repeated in a mapping is still refused, naming its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-load-'));
    try {
      const path = join(dir, 'dup.yaml');
      await writeFile(path, 'materialization_policy:\n  workflow: persist\n  visual: cache\n  workflow: discard\n');
      await assert.rejects(loadPolicyResolver({ solution: path }), new RegExp(`${path}:4:3: invalid YAML: Map keys must be unique \\('workflow' is repeated\\)`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
