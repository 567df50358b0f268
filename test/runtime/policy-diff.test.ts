import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY_TENANT, compileMaterializationPolicy, defineRealm, parseSolutionConfig, type GovernanceRule } from '../../src/index.ts';
import { testRuntime } from '../support/test-runtime.ts';

/** One artifact per execution, of the type and size the parameters ask for. */
const gen = defineRealm({
  name: 'gen',
  intents: {
    make: {
      handler: (p: { type: string; size: number }) => ({
        artifacts: { out: { resultType: p.type, semanticPayload: { n: p.size }, renderings: { txt: 'x'.repeat(p.size) } } },
      }),
    },
  },
});

const EVERYTHING_PERSISTED = parseSolutionConfig({ name: 'all', materialization_policy: { workflow: 'persist', visual: 'persist', sop: 'persist' } });
const CANDIDATE_RULES: GovernanceRule[] = [
  { id: 'big-visuals-go', match: { resultType: ['visual'], sizeBytes: { gt: 1000 } }, decision: 'discard' },
  { id: 't2-workflows-cached', match: { resultType: ['workflow'], tenant: ['t2'] }, decision: 'cache', ttlSeconds: 600 },
];
/** The candidate: the same solution config under two new governance rules, and sop no longer named (default: discard). */
const candidate = () =>
  compileMaterializationPolicy({
    solution: parseSolutionConfig({ name: 'next', materialization_policy: { workflow: 'persist', visual: 'persist' } }),
    governance: CANDIDATE_RULES,
  });

interface Made { tenantId: string; type: string; size: number; old: boolean }

/** What the candidate must say, worked out by hand from the rules above. */
function expected(made: readonly Made[], only: (m: Made) => boolean) {
  const moves = new Map<string, { count: number; bytes: number }>();
  for (const m of made.filter(only)) {
    const to =
      m.type === 'visual' && m.size > 1000 ? 'discard' : m.type === 'workflow' && m.tenantId === 't2' ? 'cache' : m.type === 'sop' ? 'discard' : 'persist';
    if (to === 'persist') continue;
    const key = `${m.tenantId}/${m.type}/persist->${to}`;
    const b = moves.get(key) ?? { count: 0, bytes: 0 };
    b.count++;
    b.bytes += m.size;
    moves.set(key, b);
  }
  return moves;
}

describe('policy diff over recorded history, and apply', () => {
  it('counts, per tenant and result type, what 1,200 recorded decisions would become under a candidate — within a window and for one tenant — and apply --retroactive deletes exactly the discarded ones', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const t = await testRuntime({ realms: [gen], solutionConfig: EVERYTHING_PERSISTED, now: () => now });
    try {
      const made: Made[] = [];
      const types = ['workflow', 'visual', 'sop'];
      for (let i = 0; i < 1200; i++) made.push({ tenantId: `t${(i % 3) + 1}`, type: types[Math.floor(i / 3) % 3]!, size: 200 + ((i * 37) % 1800), old: i < 600 });
      for (let from = 0; from < made.length; from += 50) {
        now = made[from]!.old ? new Date('2026-03-01T00:00:00Z') : new Date('2026-03-20T00:00:00Z');
        await Promise.all(made.slice(from, from + 50).map((m) =>
          t.runtime.execute({ intentType: 'gen.make', tenantId: m.tenantId, sessionId: 's', parameters: { type: m.type, size: m.size } })));
      }
      now = new Date('2026-03-21T00:00:00Z');
      const tally = (diff: Awaited<ReturnType<typeof t.runtime.diffPolicy>>) =>
        new Map(diff.moves.map((m) => [`${m.tenantId}/${m.resultType}/${m.from}->${m.to}`, { count: m.count, bytes: m.bytes }]));

      const progress: number[] = [];
      const all = await t.runtime.diffPolicy(candidate(), { tenantId: ANY_TENANT, onProgress: (done) => progress.push(done) });
      assert.equal(all.scanned, 1200);
      assert.deepEqual(tally(all), expected(made, () => true));
      assert.equal(all.unchanged, 1200 - [...expected(made, () => true).values()].reduce((n, b) => n + b.count, 0));
      assert.equal(progress.at(-1), 1200);
      assert.ok(all.moves.every((m) => m.examples.length > 0 && m.examples.length <= 3 && m.examples.every((e) => e.artifactId?.startsWith('art_'))));
      assert.equal(all.moves.find((m) => m.resultType === 'visual')!.examples[0]!.ruleId, 'big-visuals-go');

      const recent = await t.runtime.diffPolicy(candidate(), { tenantId: ANY_TENANT, since: new Date('2026-03-14T00:00:00Z') });
      assert.equal(recent.scanned, 600);
      assert.deepEqual(tally(recent), expected(made, (m) => !m.old));
      const t2 = await t.runtime.diffPolicy(candidate(), { tenantId: 't2' });
      assert.deepEqual(tally(t2), expected(made, (m) => m.tenantId === 't2'));
      assert.equal((await t.runtime.listArtifacts({ tenantId: ANY_TENANT, limit: 5000 })).filter((a) => a.deleted).length, 0, 'a diff changes nothing');

      // Apply it retroactively, with one doomed artifact under legal hold.
      const doomed = (await t.runtime.listArtifacts({ tenantId: 't1', resultType: 'sop', limit: 1 }))[0]!;
      await t.runtime.holdArtifact(doomed.artifactId, { tenantId: 't1' }, 'audit');
      const policy = candidate();
      const report = await t.runtime.applyPolicy(policy, { retroactive: true });
      const discards = [...tally(all)].filter(([k]) => k.endsWith('->discard')).reduce((n, [, b]) => n + b.count, 0);
      assert.equal(report.checked, 1200);
      assert.equal(report.deleted.length, discards - 1);
      assert.deepEqual(report.held, [{ artifactId: doomed.artifactId, reason: 'audit' }]);
      assert.equal(report.leftPersisted, tally(all).get('t2/workflow/persist->cache')!.count);
      const stored = await t.runtime.listArtifacts({ tenantId: ANY_TENANT, limit: 5000 });
      assert.equal(stored.filter((a) => a.deleted?.reason === `policy ${policy.version}`).length, discards - 1);
      assert.ok((await t.runtime.verifyWal({ tenantId: ANY_TENANT })).every((r) => r.ok));
      const [applied] = await t.runtime.listWal({ tenantId: ANY_TENANT, recordType: 'policy_applied' });
      assert.equal(applied!.payload.policyVersion, policy.version);
      // Under the applied policy nothing is left to move.
      const after = await t.runtime.diffPolicy(policy, { tenantId: ANY_TENANT, since: new Date('2026-03-21T00:00:00Z') });
      assert.equal(after.scanned, 0);
    } finally {
      await t.close();
    }
  });
});
