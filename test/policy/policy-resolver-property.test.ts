import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ANY_TENANT, defineRealm } from '../../src/index.ts';
import { loadPolicyResolver } from '../../src/policy/policy-resolver.ts';
import { TEST_DRIVER, testRuntime } from '../support/test-runtime.ts';

/**
 * The property the resolver exists for: for random platform policies
 * (governance rules, bounds, tenant and solution configs) and runtime
 * configs, and random artifacts, the decision a real execution records ==
 * what `explain` says == what `diff` predicts, and `apply --retroactive`
 * deletes exactly the artifacts `diff` says move from persist to discard.
 * Bounded: SYMPHAINY_PROPERTY_RUNS runs (default 6) per driver.
 */
const RUNS = Number(process.env.SYMPHAINY_PROPERTY_RUNS ?? 6);
const TYPES = ['workflow', 'visual', 'sop'] as const;
const TENANTS = ['acme', 'beta'] as const;

const gen = defineRealm({
  name: 'gen',
  intents: {
    make: {
      handler: (p: { items: { type: string; size: number; tags: string[] }[] }) => ({
        artifacts: Object.fromEntries(p.items.map((it, k) => [
          `a${k}`, { resultType: it.type, semanticPayload: { k }, renderings: { txt: 'x'.repeat(it.size) }, tags: it.tags },
        ])),
      }),
    },
  },
});

const decision = fc.constantFrom('persist', 'cache', 'discard');
const ttl = fc.constantFrom('5m', '1h', '2h');
const retention = fc.constantFrom('1d', '30d', '400d');

/** A config entry in the file's shape. */
const entry = fc.record({ decision, cache_ttl: fc.option(ttl, { nil: undefined }), retention: fc.option(retention, { nil: undefined }) });

const config = fc.dictionary(fc.constantFrom(...TYPES), entry, { maxKeys: 3 });

const rule = fc.record({
  result_type: fc.option(fc.subarray([...TYPES], { minLength: 1 }), { nil: undefined }),
  tenant: fc.option(fc.subarray([...TENANTS], { minLength: 1 }), { nil: undefined }),
  intent_type: fc.option(fc.constantFrom('gen.*', 'other.*', 'gen.make'), { nil: undefined }),
  realm: fc.option(fc.constantFrom(['gen'], ['x']), { nil: undefined }),
  size_bytes: fc.option(fc.constantFrom({ gt: 10 }, { lt: 10 }, { gt: 2, lt: 30 }), { nil: undefined }),
  tags: fc.option(fc.constantFrom({ any: ['pii'] }, { all: ['pii', 'eu'] }), { nil: undefined }),
  decision,
  ttl: fc.option(ttl, { nil: undefined }),
  retention: fc.option(retention, { nil: undefined }),
});

const bounds = fc.record({
  max_cache_ttl: fc.option(fc.constantFrom('1h', '3h'), { nil: undefined }),
  max_retention: fc.option(fc.constantFrom('60d', '500d'), { nil: undefined }),
  no_persist: fc.option(fc.subarray([...TYPES], { minLength: 1 }), { nil: undefined }),
});

const platformParts = fc.record({
  rules: fc.array(rule, { maxLength: 3 }),
  bounds,
  acme: fc.option(config, { nil: undefined }),
  bot: fc.option(config, { nil: undefined }),
  runtime: fc.option(config, { nil: undefined }),
});

const executions = fc.array(
  fc.record({
    tenantId: fc.constantFrom(...TENANTS),
    solutionId: fc.constantFrom('bot', undefined),
    items: fc.array(fc.record({ type: fc.constantFrom(...TYPES, 'other'), size: fc.integer({ min: 1, max: 40 }), tags: fc.subarray(['pii', 'eu']) }), { minLength: 1, maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 4 },
);

type Parts = { rules: Record<string, unknown>[]; bounds: Record<string, unknown>; acme?: Record<string, Entry>; bot?: Record<string, Entry>; runtime?: Record<string, Entry> };
type Entry = { decision: string; cache_ttl?: string | undefined; retention?: string | undefined };

const SECONDS: Record<string, number> = { '5m': 300, '1h': 3600, '2h': 7200, '3h': 10800, '1d': 86400, '30d': 2592000, '60d': 5184000, '400d': 34560000, '500d': 43200000 };

/** A config in the file's shape that loads: keys only where they are allowed, and within the bounds. */
function withinBounds(c: Record<string, Entry> | undefined, b: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!c) return undefined;
  const maxTtl = b.max_cache_ttl ? SECONDS[b.max_cache_ttl as string]! : Infinity;
  const maxRet = b.max_retention ? SECONDS[b.max_retention as string]! : undefined;
  const out: Record<string, unknown> = {};
  for (const [type, e] of Object.entries(c)) {
    let d = e.decision;
    if (d === 'persist' && (b.no_persist as string[] | undefined)?.includes(type)) d = 'discard';
    const value: Record<string, unknown> = { decision: d };
    if (d === 'cache' && e.cache_ttl && SECONDS[e.cache_ttl]! <= maxTtl) value.cache_ttl = e.cache_ttl;
    if (d === 'persist') {
      const r = e.retention && (maxRet === undefined || SECONDS[e.retention]! <= maxRet) ? e.retention : maxRet !== undefined ? b.max_retention : undefined;
      if (r) value.retention = r;
    }
    out[type] = value;
  }
  // The config's own cache_ttl defaults to 1h: keep it within max_cache_ttl.
  return { ...(maxTtl < 3600 ? { cache_ttl: '5m' } : {}), materialization_policy: out };
}

function ruleFile(r: Record<string, unknown>, k: number): Record<string, unknown> {
  const match = Object.fromEntries(['result_type', 'tenant', 'intent_type', 'realm', 'size_bytes', 'tags'].filter((f) => r[f] !== undefined).map((f) => [f, r[f]]));
  return {
    id: `r${k}`, match, decision: r.decision,
    ...(r.decision === 'cache' && r.ttl ? { ttl: r.ttl } : {}),
    ...(r.decision === 'persist' && r.retention ? { retention: r.retention } : {}),
  };
}

/** Writes a platform policy and runtime config; returns their paths. */
async function writePolicy(dir: string, name: string, p: Parts): Promise<{ platform: string; runtime?: string }> {
  const b = Object.fromEntries(Object.entries(p.bounds).filter(([, v]) => v !== undefined));
  const files: Record<string, string> = {};
  for (const [id, c] of [['acme', p.acme], ['bot', p.bot]] as const) {
    const body = withinBounds(c, b);
    if (body) {
      files[id] = `${name}-${id}.yaml`;
      await writeFile(join(dir, files[id]), stringify(body));
    }
  }
  const platform = join(dir, `${name}-platform.yaml`);
  await writeFile(platform, stringify({
    governance: p.rules.map(ruleFile), bounds: b,
    ...(files.acme ? { tenants: { acme: files.acme } } : {}),
    ...(files.bot ? { solutions: { bot: files.bot } } : {}),
  }));
  const runtimeBody = withinBounds(p.runtime, b);
  if (!runtimeBody) return { platform };
  const runtime = join(dir, `${name}-runtime.yaml`);
  await writeFile(runtime, stringify(runtimeBody));
  return { platform, runtime };
}

describe(`property: execution == explain == diff, and apply deletes what diff says (${TEST_DRIVER})`, () => {
  it('holds for random policies and artifacts', { timeout: 600_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-property-'));
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(platformParts, platformParts, executions, async (current, next, runs) => {
          n++;
          const files = await writePolicy(dir, `c${n}`, current as Parts);
          const t = await testRuntime({ realms: [gen], platformPolicy: files.platform, ...(files.runtime ? { solutionConfig: files.runtime } : {}) });
          try {
            const recorded: { tenantId: string; solutionId: string | undefined; input: Record<string, unknown>; decision: string; artifactId?: string }[] = [];
            for (const r of runs) {
              const result = await t.runtime.execute({ intentType: 'gen.make', tenantId: r.tenantId, sessionId: 's', parameters: { items: r.items }, ...(r.solutionId ? { solutionId: r.solutionId } : {}) });
              assert.equal(result.status, 'completed');
              for (const a of result.artifacts) {
                const item = r.items[Number(a.key.slice(1))]!;
                const input = { resultType: a.resultType, tenantId: r.tenantId, intentType: 'gen.make', realm: 'gen', sizeBytes: a.sizeBytes, tags: item.tags };
                // explain == execution: decision, layer, rule and the reason naming the config.
                const e = t.runtime.explainPolicy(input, r.solutionId ? { solutionId: r.solutionId } : {}).result;
                assert.deepEqual([e.decision, e.layer, e.ruleId, e.reason, e.policyVersion], [a.decision, a.layer, a.ruleId, a.reason, a.policyVersion]);
                recorded.push({ tenantId: r.tenantId, solutionId: r.solutionId, input, decision: a.decision, ...(a.artifactId ? { artifactId: a.artifactId } : {}) });
              }
            }
            // diff == what explain says under the candidate, per tenant, type and move.
            const nextFiles = await writePolicy(dir, `n${n}`, next as Parts);
            const candidate = await loadPolicyResolver({ platform: nextFiles.platform, ...(nextFiles.runtime ? { solution: nextFiles.runtime } : {}) });
            const expected = new Map<string, number>();
            const expectedDeleted = new Set<string>();
            for (const r of recorded) {
              const now = candidate.explain({ ...r.input, solutionId: r.solutionId ?? null } as never).result.decision;
              if (now === r.decision) continue;
              const key = [r.tenantId, r.input.resultType, r.decision, now].join(' ');
              expected.set(key, (expected.get(key) ?? 0) + 1);
              if (r.decision === 'persist' && now === 'discard' && r.artifactId) expectedDeleted.add(r.artifactId);
            }
            const diff = await t.runtime.diffPolicy(candidate, { tenantId: ANY_TENANT });
            assert.deepEqual(new Map(diff.moves.map((m) => [[m.tenantId, m.resultType, m.from, m.to].join(' '), m.count])), expected);
            // apply --retroactive deletes exactly the persisted artifacts diff moves to discard.
            const report = await t.runtime.applyPolicy(candidate, { retroactive: true });
            assert.deepEqual(new Set(report.deleted), expectedDeleted);
            const listed = diff.moves.filter((m) => m.from === 'persist' && m.to === 'discard');
            assert.equal(report.deleted.length, listed.reduce((s, m) => s + m.count, 0));
            for (const m of listed) for (const ex of m.examples) assert.ok(expectedDeleted.has(ex.artifactId!), `diff example ${ex.artifactId} deleted`);
            assert.equal(report.checked, recorded.filter((r) => r.artifactId).length, 'each stored artifact re-evaluated once');
          } finally {
            await t.close();
          }
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
