/**
 * Policy evaluation cost, ns per decision, on the same inputs for every evaluator:
 * - type only: the compiled policy's `evaluate({ resultType })` vs a plain `Map.get`;
 * - a 20-rule governance set: compiled policy vs hand-written ifs, json-rules-engine and CEL.
 * Every evaluator is checked to decide exactly as the compiled policy does before it is timed.
 */
import { parse as parseCel } from '@marcbachmann/cel-js';
import { Engine } from 'json-rules-engine';
import {
  compileMaterializationPolicy,
  MVP_POLICY_OVERRIDE,
  parseSolutionConfig,
  type GovernanceRule,
  type PolicyDecision,
  type PolicyInput,
} from '../src/index.ts';
import { measure, nowMs, type Measure } from './stats.ts';

const TYPES = ['workflow', 'visual', 'sop', 'report', 'roadmap', 'blueprint', 'poc', 'solution', 'unknown'];
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'tyrell'];
const INTENTS = ['journey.sop_to_workflow', 'journey.workflow_to_sop', 'outcomes.create_roadmap', 'outcomes.create_poc', 'content.summarize', 'solution.compose'];
const SIZES = [512, 20_000, 200_000, 2_000_000, 8_000_000];
const TAGS = ['pii', 'internal', 'draft', 'customer', 'export', 'legal'];
const MB = 1024 * 1024;

/** 20 governance rules, a realistic mix: tenant lists, intent globs, size bounds, tags any/all, realms. */
export const GOVERNANCE_20: GovernanceRule[] = [
  { id: 'no-huge-visuals', match: { resultType: ['visual'], sizeBytes: { gt: 5 * MB } }, decision: 'discard' },
  { id: 'pii-short-lived', match: { tags: { any: ['pii'] } }, decision: 'cache', ttlSeconds: 900 },
  { id: 'legal-export-kept', match: { tags: { all: ['legal', 'export'] } }, decision: 'persist', retentionSeconds: 7 * 86400 * 52 },
  { id: 'acme-journey-workflows', match: { resultType: ['workflow'], tenant: ['acme', 'globex'], intentType: 'journey.*' }, decision: 'persist' },
  { id: 'umbrella-no-visuals', match: { resultType: ['visual'], tenant: ['umbrella'] }, decision: 'discard' },
  { id: 'drafts-cached', match: { tags: { any: ['draft'] }, sizeBytes: { lt: 1 * MB } }, decision: 'cache', ttlSeconds: 3600 },
  { id: 'roadmaps-outcomes', match: { resultType: ['roadmap'], realm: ['outcomes'] }, decision: 'persist' },
  { id: 'pocs-small', match: { resultType: ['poc'], sizeBytes: { lt: 100_000 } }, decision: 'persist' },
  { id: 'pocs-large-cached', match: { resultType: ['poc'], sizeBytes: { gt: 100_000 } }, decision: 'cache', ttlSeconds: 600 },
  { id: 'hooli-everything-cached', match: { tenant: ['hooli'] }, decision: 'cache', ttlSeconds: 300 },
  { id: 'content-sops', match: { resultType: ['sop'], intentType: 'content.*' }, decision: 'cache', ttlSeconds: 1800 },
  { id: 'journey-sops', match: { resultType: ['sop'], intentType: 'journey.*', tenant: ['acme', 'initech'] }, decision: 'persist' },
  { id: 'blueprints-internal', match: { resultType: ['blueprint'], tags: { any: ['internal', 'customer'] } }, decision: 'persist' },
  { id: 'solutions-compose', match: { resultType: ['solution'], intentType: 'solution.compose', sizeBytes: { lt: 2 * MB } }, decision: 'persist' },
  { id: 'reports-customer', match: { resultType: ['report'], tags: { all: ['customer'] }, tenant: ['acme', 'globex', 'tyrell'] }, decision: 'persist' },
  { id: 'reports-mid-size', match: { resultType: ['report'], sizeBytes: { gt: 10_000, lt: 1 * MB } }, decision: 'cache', ttlSeconds: 1200 },
  { id: 'visuals-initech', match: { resultType: ['visual'], tenant: ['initech'], intentType: '*_to_workflow' }, decision: 'cache', ttlSeconds: 600 },
  { id: 'tyrell-workflows', match: { resultType: ['workflow', 'sop'], tenant: ['tyrell'] }, decision: 'discard' },
  { id: 'big-anything', match: { sizeBytes: { gt: 4 * MB } }, decision: 'discard' },
  { id: 'export-tagged', match: { tags: { any: ['export'] } }, decision: 'persist' },
];

/** A deterministic mix of complete inputs (the runtime always gives tenant, intent, realm, size and tags). */
export function policyInputs(count = 64): PolicyInput[] {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  return Array.from({ length: count }, () => {
    const intentType = pick(INTENTS);
    return {
      resultType: pick(TYPES),
      tenantId: pick(TENANTS),
      intentType,
      realm: intentType.split('.')[0]!,
      sizeBytes: pick(SIZES),
      tags: TAGS.filter(() => rnd() < 0.2),
    };
  });
}

const SOLUTION = parseSolutionConfig({ name: 'bench', materialization_policy: { ...MVP_POLICY_OVERRIDE, report: 'persist' } }, 'bench');

/** The canonical outcome the evaluators are compared on: the deciding rule, or "below governance". */
const outcomeOf = (d: PolicyDecision) => d.ruleId ?? `${d.layer}:${d.decision}`;

// ---- the other evaluators of the same 20 rules ----

/** The 20 rules as plain ifs, in order; returns the rule id or null (below governance). */
function handWritten(i: PolicyInput): string | null {
  const t = i.resultType, tenant = i.tenantId!, it = i.intentType!, size = i.sizeBytes!, tags = i.tags!;
  if (t === 'visual' && size > 5 * MB) return 'no-huge-visuals';
  if (tags.includes('pii')) return 'pii-short-lived';
  if (tags.includes('legal') && tags.includes('export')) return 'legal-export-kept';
  if (t === 'workflow' && (tenant === 'acme' || tenant === 'globex') && it.startsWith('journey.')) return 'acme-journey-workflows';
  if (t === 'visual' && tenant === 'umbrella') return 'umbrella-no-visuals';
  if (tags.includes('draft') && size < 1 * MB) return 'drafts-cached';
  if (t === 'roadmap' && i.realm === 'outcomes') return 'roadmaps-outcomes';
  if (t === 'poc' && size < 100_000) return 'pocs-small';
  if (t === 'poc' && size > 100_000) return 'pocs-large-cached';
  if (tenant === 'hooli') return 'hooli-everything-cached';
  if (t === 'sop' && it.startsWith('content.')) return 'content-sops';
  if (t === 'sop' && it.startsWith('journey.') && (tenant === 'acme' || tenant === 'initech')) return 'journey-sops';
  if (t === 'blueprint' && (tags.includes('internal') || tags.includes('customer'))) return 'blueprints-internal';
  if (t === 'solution' && it === 'solution.compose' && size < 2 * MB) return 'solutions-compose';
  if (t === 'report' && tags.includes('customer') && (tenant === 'acme' || tenant === 'globex' || tenant === 'tyrell')) return 'reports-customer';
  if (t === 'report' && size > 10_000 && size < 1 * MB) return 'reports-mid-size';
  if (t === 'visual' && tenant === 'initech' && it.endsWith('_to_workflow')) return 'visuals-initech';
  if ((t === 'workflow' || t === 'sop') && tenant === 'tyrell') return 'tyrell-workflows';
  if (size > 4 * MB) return 'big-anything';
  if (tags.includes('export')) return 'export-tagged';
  return null;
}

const celList = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
function celGlob(glob: string): string {
  if (!glob.includes('*')) return `intentType == ${JSON.stringify(glob)}`;
  if (glob.endsWith('*') && glob.indexOf('*') === glob.length - 1) return `intentType.startsWith(${JSON.stringify(glob.slice(0, -1))})`;
  if (glob.startsWith('*') && glob.lastIndexOf('*') === 0) return `intentType.endsWith(${JSON.stringify(glob.slice(1))})`;
  throw new Error(`glob ${glob} not translated`);
}

/** One CEL expression per rule (sizes as doubles: the inputs are JS numbers). */
export function celSource(rule: GovernanceRule): string {
  const m = rule.match;
  const parts: string[] = [];
  if (m.resultType) parts.push(`resultType in ${celList(m.resultType)}`);
  if (m.tenant) parts.push(`tenantId in ${celList(m.tenant)}`);
  if (m.intentType) parts.push(celGlob(m.intentType));
  if (m.realm) parts.push(`realm in ${celList(m.realm)}`);
  if (m.sizeBytes?.gt !== undefined) parts.push(`sizeBytes > ${m.sizeBytes.gt.toFixed(1)}`);
  if (m.sizeBytes?.lt !== undefined) parts.push(`sizeBytes < ${m.sizeBytes.lt.toFixed(1)}`);
  if (m.tags?.any) parts.push(`tags.exists(t, t in ${celList(m.tags.any)})`);
  if (m.tags?.all) parts.push(m.tags.all.map((t) => `${JSON.stringify(t)} in tags`).join(' && '));
  return parts.length ? parts.join(' && ') : 'true';
}

function celEvaluator(rules: readonly GovernanceRule[]): (i: PolicyInput) => string | null {
  const compiled = rules.map((r) => ({ id: r.id, fn: parseCel(celSource(r)) }));
  return (i) => {
    for (let k = 0; k < compiled.length; k++) if (compiled[k]!.fn(i as unknown as Record<string, unknown>) === true) return compiled[k]!.id;
    return null;
  };
}

function jsonRulesEngine(rules: readonly GovernanceRule[]): (i: PolicyInput) => Promise<string | null> {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addOperator('glob', (fact: unknown, glob: unknown) => {
    if (typeof fact !== 'string' || typeof glob !== 'string') return false;
    return new RegExp(`^${glob.split('*').map((p) => p.replace(/[\\^$.|?+()[\]{}]/g, '\\$&')).join('.*')}$`, 's').test(fact);
  });
  rules.forEach((rule, index) => {
    const m = rule.match;
    const all: Record<string, unknown>[] = [];
    if (m.resultType) all.push({ fact: 'resultType', operator: 'in', value: [...m.resultType] });
    if (m.tenant) all.push({ fact: 'tenantId', operator: 'in', value: [...m.tenant] });
    if (m.intentType) all.push({ fact: 'intentType', operator: 'glob', value: m.intentType });
    if (m.realm) all.push({ fact: 'realm', operator: 'in', value: [...m.realm] });
    if (m.sizeBytes?.gt !== undefined) all.push({ fact: 'sizeBytes', operator: 'greaterThan', value: m.sizeBytes.gt });
    if (m.sizeBytes?.lt !== undefined) all.push({ fact: 'sizeBytes', operator: 'lessThan', value: m.sizeBytes.lt });
    if (m.tags?.any) all.push({ any: m.tags.any.map((t) => ({ fact: 'tags', operator: 'contains', value: t })) });
    if (m.tags?.all) for (const t of m.tags.all) all.push({ fact: 'tags', operator: 'contains', value: t });
    engine.addRule({ conditions: { all } as never, event: { type: rule.id }, priority: rules.length - index });
  });
  return async (i) => {
    const { events } = await engine.run({ ...i });
    return events[0]?.type ?? null; // higher priority runs (and succeeds) first
  };
}

// ---- timing ----

/** A result the optimizer cannot drop: every evaluation's result feeds it, and it is printed. */
export let sink = 0;

/**
 * Times `iterations` calls of `fn` over the inputs (cycled), in its own
 * generated loop so call-site feedback is not shared between evaluators.
 */
function timeSync<I, R>(fn: (i: I) => R, inputs: readonly I[], iterations: number, weight: (r: R) => number): number {
  const loop = new Function(
    'fn', 'inputs', 'n', 'weight',
    'let acc = 0; const mask = inputs.length - 1; for (let k = 0; k < n; k++) { acc = (acc + weight(fn(inputs[k & mask]))) | 0; } return acc;',
  ) as (fn: (i: I) => R, inputs: readonly I[], n: number, weight: (r: R) => number) => number;
  loop(fn, inputs, Math.min(iterations, 200_000), weight); // warm-up (and JIT)
  const t0 = nowMs();
  sink = (sink + loop(fn, inputs, iterations, weight)) | 0;
  return ((nowMs() - t0) * 1e6) / iterations;
}

async function timeAsync<I>(fn: (i: I) => Promise<string | null>, inputs: readonly I[], iterations: number): Promise<number> {
  for (let k = 0; k < Math.min(iterations, 2000); k++) await fn(inputs[k % inputs.length]!);
  const t0 = nowMs();
  for (let k = 0; k < iterations; k++) sink = (sink + ((await fn(inputs[k % inputs.length]!))?.length ?? 1)) | 0;
  return ((nowMs() - t0) * 1e6) / iterations;
}

export interface PolicyFigures {
  readonly typeOnly: { compiledNs: Measure; mapGetNs: Measure };
  readonly rules20: { compiledNs: Measure; handWrittenNs: Measure; jsonRulesEngineNs: Measure; celNs: Measure };
  readonly iterations: { fast: number; cel: number; jsonRulesEngine: number };
  readonly inputs: number;
  readonly sink: number;
}

export async function policyBench(opts: { rounds: number; fastIterations: number; celIterations: number; jreIterations: number }): Promise<PolicyFigures> {
  // Type only: a solution config and the platform default, no governance rules.
  const typePolicy = compileMaterializationPolicy({ solution: SOLUTION });
  const typeInputs: PolicyInput[] = Array.from({ length: 64 }, (_, k) => ({ resultType: TYPES[k % TYPES.length]! }));
  const table = new Map<string, PolicyDecision>(TYPES.map((t) => [t, typePolicy.evaluate({ resultType: t })]));
  const reasonLength = (d: PolicyDecision | undefined) => d!.reason.length;

  // 20 rules, and the same rules in the other evaluators.
  const policy = compileMaterializationPolicy({ solution: SOLUTION, governance: GOVERNANCE_20 });
  const inputs = policyInputs(64);
  const cel = celEvaluator(GOVERNANCE_20);
  const jre = jsonRulesEngine(GOVERNANCE_20);
  const below = (i: PolicyInput) => outcomeOf(compileMaterializationPolicy({ solution: SOLUTION }).evaluate({ resultType: i.resultType }));
  for (const i of inputs) {
    const want = outcomeOf(policy.evaluate(i));
    const got = { ifs: handWritten(i) ?? below(i), cel: cel(i) ?? below(i), jre: (await jre(i)) ?? below(i) };
    for (const [name, outcome] of Object.entries(got)) {
      if (outcome !== want) throw new Error(`${name} decides ${outcome} where the compiled policy decides ${want} for ${JSON.stringify(i)}`);
    }
  }
  const decided = new Set(inputs.map((i) => outcomeOf(policy.evaluate(i))));
  if (decided.size < 8) throw new Error(`the inputs exercise too few outcomes (${decided.size})`);

  const s = { compiled: [] as number[], map: [] as number[], r20: [] as number[], ifs: [] as number[], jre: [] as number[], cel: [] as number[] };
  for (let r = 0; r < opts.rounds; r++) {
    s.compiled.push(timeSync(typePolicy.evaluate, typeInputs, opts.fastIterations, reasonLength));
    s.map.push(timeSync((i: PolicyInput) => table.get(i.resultType), typeInputs, opts.fastIterations, reasonLength));
    s.r20.push(timeSync(policy.evaluate, inputs, opts.fastIterations, reasonLength));
    s.ifs.push(timeSync(handWritten, inputs, opts.fastIterations, (x) => x?.length ?? 1));
    s.cel.push(timeSync(cel, inputs, opts.celIterations, (x) => x?.length ?? 1));
    s.jre.push(await timeAsync(jre, inputs, opts.jreIterations));
  }
  return {
    typeOnly: { compiledNs: measure(s.compiled), mapGetNs: measure(s.map) },
    rules20: { compiledNs: measure(s.r20), handWrittenNs: measure(s.ifs), jsonRulesEngineNs: measure(s.jre), celNs: measure(s.cel) },
    iterations: { fast: opts.fastIterations, cel: opts.celIterations, jsonRulesEngine: opts.jreIterations },
    inputs: inputs.length,
    sink,
  };
}
