import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirLock } from '../../src/runtime/data-dir-lock.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], dataDir: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--data-dir', dataDir, ...args], { cwd: root, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const json = (r: Run) => {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

describe('symphainy command', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-cli-'));
    dataDir = join(dir, 'data');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('successive commands share one data dir: run under MVP, then inspect artifacts, renderings, executions, WAL', async () => {
    const run = json(
      await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's1',
        '--params-file', 'examples/sop_to_workflow.json', '--config', 'config/mvp_materialization_policy.yaml', '--json'], dataDir),
    );
    assert.equal(run.status, 'completed');
    const workflow = run.artifacts.find((a: { key: string }) => a.key === 'workflow');
    assert.equal(workflow.decision, 'persist');
    assert.equal(workflow.layer, 'solution');
    assert.match(workflow.artifactId, /^art_/);

    const listed = json(await cli(['artifacts', 'list', '--tenant', 'acme', '--json'], dataDir));
    assert.deepEqual(
      listed.map((a: { resultType: string }) => a.resultType).sort(),
      ['visual', 'workflow'],
    );

    const svg = await cli(['artifacts', 'get', run.artifacts.find((a: { key: string }) => a.key === 'visual').artifactId, '--rendering', 'svg'], dataDir);
    assert.equal(svg.code, 0, svg.stderr);
    assert.match(svg.stdout, /^<svg[\s\S]*<\/svg>\s*$/);

    // --json: the metadata (as without it), or a rendering as text; --out with --json is refused.
    const visualId = run.artifacts.find((a: { key: string }) => a.key === 'visual').artifactId;
    const meta = json(await cli(['artifacts', 'get', visualId, '--json'], dataDir));
    assert.deepEqual([meta.artifactId, meta.resultType], [visualId, 'visual']);
    const svgJson = json(await cli(['artifacts', 'get', visualId, '--rendering', 'svg', '--json'], dataDir));
    assert.equal(svgJson.artifactId, visualId);
    assert.equal(svgJson.name, 'svg');
    assert.equal(svgJson.text, svg.stdout);
    assert.equal(svgJson.sizeBytes, Buffer.byteLength(svg.stdout));
    const both = await cli(['artifacts', 'get', visualId, '--rendering', 'svg', '--json', '--out', join(dir, 'x.svg')], dataDir);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error \[SYM_ERR_CONFIG\]: use either --out or --json, not both/);

    const shown = json(await cli(['executions', 'show', run.executionId], dataDir));
    assert.equal(shown.status, 'completed');
    assert.equal(shown.state.references.workflow_artifact_id, workflow.artifactId);

    const wal = json(await cli(['wal', 'list', '--execution', run.executionId, '--json'], dataDir));
    assert.deepEqual(
      wal.map((r: { recordType: string }) => r.recordType),
      ['intent', 'state_transition', 'state_transition', 'governance_decision', 'governance_decision', 'state_transition'],
    );

    // Another tenant sees none of it.
    const other = await cli(['executions', 'show', run.executionId, '--tenant', 'globex'], dataDir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /SYM_ERR_NOT_FOUND/);
  });

  test('the default policy discards derived artifacts; cache decisions are readable with cache get', async () => {
    const run = json(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'initech', '--params-file', 'examples/sop_to_workflow.json', '--json'], dataDir));
    assert.deepEqual(run.artifacts.map((a: { decision: string; layer: string }) => `${a.decision}/${a.layer}`), ['discard/default', 'discard/default']);

    const config = join(dir, 'cache.yaml');
    await writeFile(config, 'name: session\nmaterialization_policy:\n  visual: { decision: cache, cache_ttl: 10m }\n');
    const cached = json(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'initech', '--session', 'sx',
      '--params-file', 'examples/sop_to_workflow.json', '--config', config, '--json'], dataDir));
    const visual = cached.artifacts.find((a: { key: string }) => a.key === 'visual');
    assert.equal(visual.decision, 'cache');
    const entries = json(await cli(['cache', 'get', '--tenant', 'initech', '--session', 'sx', '--json'], dataDir));
    assert.equal(entries.length, 1);
    assert.equal(entries[0].cacheId, visual.cacheId);
    assert.ok(entries[0].renderings.some((r: { name: string; text?: string }) => r.name === 'mermaid' && r.text?.startsWith('flowchart TD')));
  });

  test('a realm module from a path (--realm) runs; an unknown result type falls back to discard', async () => {
    const run = json(await cli(['run', 'my.greet', '--realm', 'examples/my-realm.mjs', '--tenant', 'acme',
      '--params', '{"name":"Ada"}', '--json'], dataDir));
    assert.equal(run.status, 'completed');
    const note = run.artifacts.find((a: { key: string }) => a.key === 'note');
    assert.equal(note.resultType, 'unknown');
    assert.equal(note.layer, 'fallback');
  });

  test('bad input: clear message naming what is wrong, exit code 2, no stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'materialization_policy:\n  workflow: persit\n');
    const cases: [string[], RegExp][] = [
      [['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params', '{}', '--config', bad], /bad\.yaml:2: materialization_policy\.workflow: unknown decision 'persit'/],
      [['run', 'nope.intent', '--tenant', 'acme'], /SYM_ERR_UNKNOWN_INTENT.*'nope\.intent'/],
      [['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params', '{"sop_text": 5}'], /parameters\.sop_text/],
      [['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params', '{"sop_text":'], /--params: invalid JSON/],
      [['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params-file', 'missing.json'], /--params-file missing\.json: file not found/],
      [['run', 'my.greet', '--tenant', 'acme', '--realm', 'nowhere.js'], /realm module nowhere\.js: file not found/],
      [['policy', 'validate', bad], /bad\.yaml:2/],
      [['executions', 'list', '--data-dir', bad], /SYM_ERR_CONFIG.*cannot use data dir .*bad\.yaml/],
      [['executions', 'list', '--status', 'done'], /--status must be one of queued, running, waiting, completed, failed, dead, got 'done'/],
      [['worker', '--once'], /^error \[SYM_ERR_CONFIG\]: unknown option '--once'/m],
      [['policy', 'validate', bad, 'extra.yaml'], /^error \[SYM_ERR_CONFIG\]: too many arguments for 'validate'/m],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args, dataDir);
      assert.equal(r.code, 2, `${args.join(' ')} → exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('a failing realm gives a failed execution and exit code 1', async () => {
    const realm = join(dir, 'failing-realm.mjs');
    await writeFile(realm, "export default { name: 'boom', intents: { go: { handler() { throw new Error('kaput'); } } } };\n");
    const r = await cli(['run', 'boom.go', '--realm', realm, '--tenant', 'acme', '--json'], dataDir);
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'failed');
    assert.equal(result.error.code, 'SYM_ERR_REALM_FAILED');
    assert.match(result.error.message, /kaput/);
  });

  test('a TypeScript realm module loads too', async () => {
    const realm = join(dir, 'ts-realm.ts');
    await writeFile(
      realm,
      "interface P { n: number }\n" +
        "export default { name: 'tsr', intents: { double: { handler: (p: P) => ({ artifacts: { roadmap: { doubled: p.n * 2 } } }) } } };\n",
    );
    const r = json(await cli(['run', 'tsr.double', '--realm', realm, '--tenant', 'acme', '--params', '{"n":21}', '--json',
      '--config', 'config/mvp_materialization_policy.yaml'], dataDir));
    assert.equal(r.status, 'completed');
    const bytes = await cli(['artifacts', 'get', r.artifacts[0].artifactId, '--rendering', 'roadmap'], dataDir);
    assert.deepEqual(JSON.parse(bytes.stdout), { doubled: 42 });
  });

  test('a command waits for another process holding the data dir, then runs', async () => {
    const lock = await DataDirLock.acquire(dataDir);
    const pending = cli(['executions', 'list', '--tenant', 'acme', '--json'], dataDir);
    await new Promise((r) => setTimeout(r, 1500));
    await lock.release();
    const r = await pending;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
  });

  test('the demo command runs every example intent under the default, MVP and session-cache policies', async () => {
    const r = await cli(['demo', '--json'], join(dir, 'demo-data'));
    const runs = json(r) as { policy: string; result: { status: string; artifacts: { decision: string; layer: string; resultType: string }[] } }[];
    const by = (policy: string) => runs.filter((x) => x.policy === policy);
    assert.equal(by('default').length, 6);
    assert.ok(runs.every((x) => x.result.status === 'completed'));
    const types = (p: string) => by(p).flatMap((x) => x.result.artifacts.map((a) => a.resultType)).sort();
    assert.deepEqual(types('mvp'), ['blueprint', 'poc', 'roadmap', 'solution', 'sop', 'visual', 'workflow']);
    assert.ok(by('default').every((x) => x.result.artifacts.every((a) => a.decision === 'discard' && a.layer === 'default')));
    assert.ok(by('mvp').every((x) => x.result.artifacts.every((a) => a.decision === 'persist' && a.layer === 'solution')));
    const cache = by('session-cache').flatMap((x) => x.result.artifacts.map((a) => `${a.resultType}:${a.decision}`));
    assert.ok(cache.includes('visual:cache') && cache.includes('workflow:persist') && cache.includes('sop:cache'));
  });

  test('policy explain shows the deciding layer and every layer consulted', async () => {
    const r = json(await cli(['policy', 'explain', '--config', 'config/mvp_materialization_policy.yaml', '--result-type', 'workflow',
      '--tenant', 'acme', '--intent-type', 'journey.sop_to_workflow', '--json'], dataDir));
    assert.equal(r.result.decision, 'persist');
    assert.equal(r.result.layer, 'solution');
    assert.deepEqual(r.chain.map((v: { layer: string }) => v.layer), ['platform', 'governance', 'solution', 'default', 'fallback']);
  });

  test('a platform policy file (--platform-policy) decides above the solution config; policy validate --platform checks one', async () => {
    const r = json(await cli(['--platform-policy', 'config/platform_policy.yaml', 'policy', 'explain', '--config', 'config/mvp_materialization_policy.yaml',
      '--result-type', 'visual', '--size-bytes', String(6 * 1024 * 1024), '--json'], dataDir));
    assert.equal(r.result.decision, 'discard');
    assert.equal(r.result.layer, 'governance');
    assert.equal(r.result.ruleId, 'no-large-visuals');
    const ok = await cli(['policy', 'validate', '--platform', 'config/platform_policy.yaml'], dataDir);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /config\/platform_policy\.yaml: valid \(policy sha256:[0-9a-f]{16}\)/);
    const bad = await cli(['policy', 'validate', '--platform', 'config/mvp_materialization_policy.yaml'], dataDir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error \[SYM_ERR_POLICY_CONFIG\]: config\/mvp_materialization_policy\.yaml:\d+: unknown key 'materialization_policy' \(expected one of: governance, bounds, tenants, solutions, budgets, subjects\)/m);
    const run = json(await cli(['--platform-policy', 'config/platform_policy.yaml', 'run', 'journey.sop_to_workflow', '--tenant', 'acme',
      '--session', 's', '--params-file', 'examples/sop_to_workflow.json', '--json'], dataDir));
    const workflow = run.artifacts.find((a: { key: string }) => a.key === 'workflow');
    assert.equal(workflow.ruleId, 'journey-workflows-kept-a-year');
    assert.match(workflow.reason, /retention 365d/);
  });

  test('policy explain --execution shows every artifact of a recorded execution with the chain of layers that decided', async () => {
    const run = json(await cli(['--platform-policy', 'config/platform_policy.yaml', 'run', 'journey.sop_to_workflow', '--tenant', 'acme',
      '--session', 's', '--params-file', 'examples/sop_to_workflow.json', '--json'], dataDir));
    // Without the platform policy now: the recorded policy still explains its decisions.
    const text = await cli(['policy', 'explain', '--execution', run.executionId], dataDir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^workflow \(workflow\) -> persist by governance rule 'journey-workflows-kept-a-year', policy sha256:/m);
    assert.match(text.stdout, /^\* governance  persist  governance rule 'journey-workflows-kept-a-year' decides persist \(retention 365d\)/m);
    assert.match(text.stdout, /^  inputs: .*intentType=journey\.sop_to_workflow/m);
    const asJson = json(await cli(['policy', 'explain', '--execution', run.executionId, '--tenant', 'acme', '--json'], dataDir));
    assert.deepEqual(asJson.artifacts.map((a: { artifactKey: string }) => a.artifactKey).sort(), ['visual', 'workflow']);
    const other = await cli(['policy', 'explain', '--execution', run.executionId, '--tenant', 'other'], dataDir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /error \[SYM_ERR_NOT_FOUND\]: execution '.*' not found/);
    const neither = await cli(['policy', 'explain'], dataDir);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /needs --result-type TYPE .* or --execution ID/);
    // Erased, it is still explained: the recorded decision, its inputs said to be erased.
    assert.equal((await cli(['erase', '--tenant', 'acme', '--session', 's'], dataDir)).code, 0);
    const erased = await cli(['policy', 'explain', '--execution', run.executionId], dataDir);
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, /^workflow \(workflow\) -> persist by governance rule 'journey-workflows-kept-a-year'/m);
    assert.match(erased.stdout, /^  inputs: \(erased\)$/m);
    assert.match(erased.stdout, /^  note: its inputs were erased \(erasure [^)]+\), so its layers cannot be shown again/m);
  });

  test('wal verify says OK per tenant, and exit 1 naming the record once a row is altered in the database', async () => {
    const own = join(dir, 'verify-data');
    json(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's', '--params-file', 'examples/sop_to_workflow.json', '--json'], own));
    const ok = await cli(['wal', 'verify'], own);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^acme: OK \(\d+ records; head [0-9a-f]{64}\)$/m);
    const db = await PgliteDb.open({ dataDir: join(own, 'db') });
    const [row] = await db.query<{ seq: number }>("UPDATE symphainy.wal SET payload = payload || '{\"x\": 1}'::jsonb WHERE seq = (SELECT min(seq) FROM symphainy.wal) RETURNING seq");
    await db.close();
    const bad = await cli(['wal', 'verify', '--tenant', 'acme'], own);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, new RegExp(`^acme: TAMPERED at seq ${row!.seq}: the content of record seq ${row!.seq} was altered$`, 'm'));
  });

  test('policy diff reports what a candidate would change; policy apply --retroactive makes it active and deletes what it discards', async () => {
    const own = join(dir, 'diff-data');
    for (let i = 0; i < 2; i++) {
      json(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's', '--params-file', 'examples/sop_to_workflow.json',
        '--config', 'config/mvp_materialization_policy.yaml', '--json'], own));
    }
    const diff = json(await cli(['--platform-policy', 'config/platform_policy.yaml', 'policy', 'diff', '--since', '1h', '--json'], own));
    assert.equal(diff.scanned, 4);
    assert.deepEqual(diff.moves.map((m: { tenantId: string; resultType: string; from: string; to: string; count: number }) => [m.tenantId, m.resultType, m.from, m.to, m.count]),
      [['acme', 'visual', 'persist', 'discard', 2]]);
    const text = await cli(['--platform-policy', 'config/platform_policy.yaml', 'policy', 'diff'], own);
    assert.match(text.stdout, /4 recorded decisions re-evaluated, 2 unchanged, 2 would change/);
    assert.match(text.stdout, /^acme\s+visual\s+persist\s+discard\s+2\s+\d+$/m);

    const applied = await cli(['--platform-policy', 'config/platform_policy.yaml', 'policy', 'apply', '--retroactive'], own);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /retroactively: 4 stored artifacts re-evaluated, 2 deleted, 2 with new retention/);
    const list = await cli(['artifacts', 'list'], own);
    assert.equal((list.stdout.match(/deleted \(policy sha256:/g) ?? []).length, 2);
    // A runtime started without a policy of its own now decides under the applied one.
    const next = json(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's', '--params-file', 'examples/sop_to_workflow.json', '--json'], own));
    assert.equal(next.artifacts.find((a: { key: string }) => a.key === 'workflow').ruleId, 'journey-workflows-kept-a-year');
    assert.equal(next.policyVersion, json(await cli(['--platform-policy', 'config/platform_policy.yaml', 'policy', 'show', '--json'], own)).version);
  });
});
