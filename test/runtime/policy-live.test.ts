import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime, defineRealm, FsBlobStore, parseSolutionConfig, type Runtime } from '../../src/index.ts';
import { PLATFORM_TENANT } from '../../src/intent/intent.ts';
import { loadPolicyResolver } from '../../src/policy/policy-resolver.ts';
import { freshDb, freshServerDb, silentLogger, TEST_DRIVER } from '../support/test-runtime.ts';
import { until } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** One `sop` artifact per execution; `hold` waits until released, so a test can keep an execution in flight. */
let release: () => void = () => {};
let holding = false;
const gate = defineRealm({
  name: 'gate',
  intents: {
    make: {
      handler: async (p: { hold?: boolean }) => {
        if (p.hold) {
          await new Promise<void>((r) => {
            release = r;
            holding = true;
          });
        }
        return { artifacts: { out: { resultType: 'sop', semanticPayload: { ok: true }, renderings: { txt: 'steps' } } } };
      },
    },
  },
});

/** Two runtimes on one database (on a server, each with its own pool, the follower LISTENing). */
async function twoRuntimes(): Promise<{ a: Runtime; b: Runtime; close(): Promise<void> }> {
  const blobRoot = await mkdtemp(join(tmpdir(), 'symphainy-live-'));
  const common = { realms: [gate], logger: silentLogger, blobStore: new FsBlobStore({ root: blobRoot, fsync: false }) };
  if (TEST_DRIVER === 'postgres') {
    const db = await freshServerDb();
    const a = await createRuntime({ ...common, databaseUrl: db.url });
    const b = await createRuntime({ ...common, databaseUrl: db.url });
    return { a, b, close: async () => { await a.close(); await b.close(); await db.close(); await rm(blobRoot, { recursive: true, force: true }); } };
  }
  const db = await freshDb();
  const a = await createRuntime({ ...common, db });
  const b = await createRuntime({ ...common, db });
  return { a, b, close: async () => { await a.close(); await b.close(); await db.close(); await rm(blobRoot, { recursive: true, force: true }); } };
}

describe(`live policy: running runtimes follow policy apply (${TEST_DRIVER})`, () => {
  it('a runtime without a policy of its own switches without restart; in-flight executions finish under the version they started with', async () => {
    const { a, b, close } = await twoRuntimes();
    try {
      const before = a.policy.version;
      const first = await a.execute({ intentType: 'gate.make', tenantId: 'acme', sessionId: 's', parameters: {} });
      assert.deepEqual([first.artifacts[0]!.decision, first.artifacts[0]!.layer], ['discard', 'default']);

      // An execution in flight on `a` while `b` applies a policy that persists sops.
      const inFlight = a.execute({ intentType: 'gate.make', tenantId: 'acme', sessionId: 's', parameters: { hold: true } });
      await until(() => holding, 10_000);
      const persistSop = await loadPolicyResolver({ solution: parseSolutionConfig({ name: 'keep-sop', materialization_policy: { sop: 'persist' } }) });
      const report = await b.applyPolicy(persistSop, { retroactive: false });
      assert.equal(b.policy.version, persistSop.version, 'the applying runtime switched at once');
      await until(() => a.policy.version === persistSop.version, 15_000);
      // `explain` on the running runtime describes the policy runs now use.
      assert.equal(a.explainPolicy({ resultType: 'sop', tenantId: 'acme' }).result.decision, 'persist');

      release();
      const finished = await inFlight;
      assert.equal(finished.policyVersion, before, 'the in-flight execution keeps the version it started with');
      assert.deepEqual([finished.artifacts[0]!.decision, finished.artifacts[0]!.policyVersion], ['discard', before]);

      const next = await a.execute({ intentType: 'gate.make', tenantId: 'acme', sessionId: 's', parameters: {} });
      assert.deepEqual([next.artifacts[0]!.decision, next.policyVersion], ['persist', persistSop.version]);
      const recorded = await a.listWal({ tenantId: 'acme', executionId: next.executionId, recordType: 'governance_decision' });
      assert.equal(recorded[0]!.payload.policyVersion, persistSop.version, 'the decision record names the new version');

      const switches = await a.listWal({ tenantId: PLATFORM_TENANT, recordType: 'policy_applied' });
      assert.deepEqual(switches.map((r) => [r.payload.policyVersion, r.payload.at]), [[persistSop.version, report.at]], 'the switch is a WAL record');
    } finally {
      await close();
    }
  });

  it('a runtime with a policy of its own keeps it', async () => {
    const { a, close } = await twoRuntimes();
    const own = await createRuntime({ realms: [gate], memory: true, logger: silentLogger, solutionConfig: parseSolutionConfig({ materialization_policy: { sop: 'cache' } }) });
    try {
      const version = own.policy.version;
      await own.applyPolicy(await loadPolicyResolver({ solution: parseSolutionConfig({ materialization_policy: { sop: 'persist' } }) }), { retroactive: false });
      assert.equal(own.policy.version, version);
      assert.equal((await own.execute({ intentType: 'gate.make', tenantId: 't', sessionId: 's', parameters: {} })).artifacts[0]!.decision, 'cache');
      assert.equal(a.explainPolicy({ resultType: 'sop' }).result.decision, 'discard', 'another store is not affected');
    } finally {
      await own.close();
      await close();
    }
  });

  it('policy show and policy explain without --config describe the active policy', { skip: TEST_DRIVER === 'postgres' ? 'the command runs on the embedded store here' : false }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-live-cli-'));
    const cli = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), ...args], { cwd: root, env: { ...process.env, SYMPHAINY_PLATFORM_POLICY: '' } }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        ),
      );
    try {
      const config = join(dir, 'keep-sop.yaml');
      await writeFile(config, 'name: keep-sop\nmaterialization_policy:\n  sop: persist\n');
      const before = JSON.parse(await cli(['policy', 'explain', '--result-type', 'sop', '--json']));
      assert.equal(before.result.decision, 'discard');
      const applied = JSON.parse(await cli(['policy', 'apply', '--config', config, '--json']));
      const shown = JSON.parse(await cli(['policy', 'show', '--json']));
      assert.equal(shown.version, applied.policyVersion);
      assert.equal(shown.types.find((t: { resultType: string }) => t.resultType === 'sop').decision, 'persist');
      const after = JSON.parse(await cli(['policy', 'explain', '--result-type', 'sop', '--json']));
      assert.deepEqual([after.result.decision, after.result.policyVersion], ['persist', applied.policyVersion]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
