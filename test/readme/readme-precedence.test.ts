import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SOP_TEXT, testRuntime } from '../support/test-runtime.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const PARAMETERS: Record<string, Record<string, unknown>> = {
  'journey.sop_to_workflow': { sop_text: SOP_TEXT },
  'outcomes.create_roadmap': { goals: ['Launch the API', 'Onboard a customer'] },
};

test("the README's precedence example runs as written: its files, and every row of its table is what a run records and explain says", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Precedence: one resolver'), readme.indexOf('### Why was this kept?'));
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-readme-precedence-'));
  try {
    const files = [...section.matchAll(/```yaml\n# (\S+)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, body: m[2]! }));
    assert.deepEqual(files.map((f) => f.name), ['platform.yaml', 'acme.yaml', 'bot.yaml', 'runtime.yaml']);
    for (const f of files) await writeFile(join(dir, f.name), f.body);
    const rows = section
      .split('\n')
      .filter((l) => /^\| (acme|beta) \|/.test(l))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    assert.equal(rows.length, 7, 'the table has its seven rows');
    const t = await testRuntime({ platformPolicy: join(dir, 'platform.yaml'), solutionConfig: join(dir, 'runtime.yaml') });
    try {
      for (const [tenantId, solutionId, intentType, key, decision, layer, by] of rows as string[][]) {
        const result = await t.runtime.execute({
          intentType: intentType!, tenantId: tenantId!, sessionId: 's', parameters: PARAMETERS[intentType!], ...(solutionId ? { solutionId } : {}),
        });
        const a = result.artifacts.find((x) => x.key === key)!;
        const [record] = (await t.runtime.listWal({ tenantId: tenantId!, executionId: result.executionId, recordType: 'governance_decision' }))
          .filter((r) => r.payload.artifactKey === key);
        const decidedBy = a.ruleId ? `rule ${a.ruleId}` : (record!.payload.config as string | undefined) ?? (a.layer === 'default' ? 'platform default' : a.layer);
        const row = `${tenantId} ${solutionId || '-'} ${key}`;
        assert.deepEqual([a.decision, a.layer, decidedBy], [decision, layer, by], row);
        const said = t.runtime.explainPolicy(
          { resultType: a.resultType, tenantId: tenantId!, intentType: intentType!, realm: intentType!.split('.')[0]!, sizeBytes: a.sizeBytes },
          solutionId ? { solutionId } : {},
        ).result;
        assert.deepEqual([said.decision, said.layer, said.reason], [a.decision, a.layer, a.reason], `explain for ${row}`);
      }
      assert.equal(t.runtime.explainPolicy({ resultType: 'unknown', tenantId: 'acme' }).result.layer, 'fallback');
      assert.equal(t.runtime.explainPolicy({ resultType: 'intent', tenantId: 'acme' }).result.layer, 'platform');
    } finally {
      await t.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
