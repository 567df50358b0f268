import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { journey, outcomes, solution } from '../../src/examples/realms.ts';
import { ANY_TENANT, type ArtifactOutcome, type ExecutionResult, type NormalizedArtifact, type Realm } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { blobFile, count, directResult, example, filesUnder, sha256, stateOf, uid } from './helpers.ts';

const ART_ID = /^art_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Case {
  readonly realm: Realm;
  readonly intent: string;
  readonly params: Record<string, unknown>;
  /** Artifact key → result type the execution must report. */
  readonly expect: Record<string, string>;
}

/** One intent per derived type: workflow + visual, sop, roadmap, poc, blueprint, solution. */
async function cases(): Promise<Case[]> {
  return [
    { realm: journey, intent: 'sop_to_workflow', params: { sop_text: SOP_TEXT }, expect: { workflow: 'workflow', visual: 'visual' } },
    { realm: journey, intent: 'workflow_to_sop', params: await example('workflow_to_sop'), expect: { sop: 'sop' } },
    { realm: outcomes, intent: 'create_roadmap', params: await example('create_roadmap'), expect: { roadmap: 'roadmap' } },
    { realm: outcomes, intent: 'create_poc', params: await example('create_poc'), expect: { poc: 'poc' } },
    { realm: outcomes, intent: 'create_blueprint', params: await example('create_blueprint'), expect: { blueprint: 'blueprint' } },
    { realm: solution, intent: 'compose', params: await example('compose_solution'), expect: { solution: 'solution' } },
  ];
}

async function run(t: TestRuntime, c: Case, tenantId: string, sessionId: string): Promise<{ result: ExecutionResult; direct: Map<string, NormalizedArtifact> }> {
  const result = await t.runtime.execute({ intentType: `${c.realm.name}.${c.intent}`, tenantId, sessionId, parameters: c.params });
  const direct = new Map((await directResult(c.realm, c.intent, c.params)).artifacts.map((a) => [a.key, a]));
  return { result, direct };
}

function outcome(result: ExecutionResult, key: string): ArtifactOutcome {
  const o = result.artifacts.find((a) => a.key === key);
  assert.ok(o, `execution has no artifact '${key}' (has ${result.artifacts.map((a) => a.key).join(', ')})`);
  return o;
}

// Small renderings are kept in the database by default; `inlineMaxBytes: 0` sends them all to the blob store.
for (const mode of ['database', 'blob store'] as const) describe(`under the MVP solution config every derived type is persisted (renderings in the ${mode})`, () => {
  let t: TestRuntime;
  const tenantId = uid('mvp');
  const sessionId = uid('s');
  before(async () => {
    // Encryption off: this checks content addressing in clear (paths and recorded hashes are the bytes' sha256);
    // sealed renderings at keyed addresses are checked in test/crypto-io.
    t = await testRuntime({ solutionConfig: MVP_CONFIG, encryption: false, ...(mode === 'blob store' ? { inlineMaxBytes: 0 } : {}) });
  });
  after(() => t?.close());

  it('covers all seven derived types', async () => {
    const types = (await cases()).flatMap((c) => Object.values(c.expect)).sort();
    assert.deepEqual(types, ['blueprint', 'poc', 'roadmap', 'solution', 'sop', 'visual', 'workflow']);
  });

  for (const name of ['sop_to_workflow', 'workflow_to_sop', 'create_roadmap', 'create_poc', 'create_blueprint', 'compose']) {
    it(`${name}: blobs, manifest, index row and state references for each artifact`, async () => {
      const c = (await cases()).find((x) => x.intent === name)!;
      const { result, direct } = await run(t, c, tenantId, sessionId);
      assert.equal(result.status, 'completed', JSON.stringify(result.error));
      assert.equal(result.policyVersion, t.runtime.policy.version);
      assert.deepEqual(result.artifacts.map((a) => a.key).sort(), Object.keys(c.expect).sort());

      const execution = await t.runtime.getExecution(result.executionId, { tenantId });
      const state = stateOf(execution);

      for (const [key, resultType] of Object.entries(c.expect)) {
        const o = outcome(result, key);
        const ref = direct.get(key)!;
        assert.equal(o.resultType, resultType);
        assert.equal(o.decision, 'persist');
        assert.equal(o.layer, 'solution');
        assert.match(o.reason, new RegExp(`\\b${resultType}\\b`));
        assert.equal(o.policyVersion, t.runtime.policy.version);
        assert.equal(o.stored, true);
        assert.equal(o.storageError, undefined);
        assert.match(o.artifactId ?? '', ART_ID);
        assert.ok(o.storagePath, 'storagePath returned');
        assert.deepEqual(o.renderings, ref.renderings.map((r) => r.name));

        const record = await t.runtime.getArtifact(o.artifactId!, { tenantId });
        assert.deepEqual(record.renderings.map((r) => r.name), ref.renderings.map((r) => r.name));
        const prefix = mode === 'database' ? 'inline:' : '';
        if (mode === 'blob store') {
          // The manifest is in the blob store and names the artifact and its renderings.
          const manifest = JSON.parse(await readFile(blobFile(t.blobRoot, o.storagePath!), 'utf8'));
          assert.equal(manifest.artifactId, o.artifactId);
          assert.equal(manifest.tenantId, tenantId);
          assert.equal(manifest.artifactType, resultType);
          assert.deepEqual(manifest.renderings.map((r: { sha256: string }) => r.sha256), record.renderings.map((r) => r.sha256));
        } else {
          // No manifest file: the index row is the manifest.
          assert.equal(o.storagePath, `inline:tenants/${tenantId}/artifacts/${o.artifactId}.json`);
        }

        // Renderings are content-addressed and read back byte for byte with their content type.
        for (const expected of ref.renderings) {
          const rr = record.renderings.find((r) => r.name === expected.name)!;
          assert.equal(rr.sha256, sha256(expected.bytes), `${key}/${expected.name}: recorded hash is the hash of the bytes`);
          assert.ok(rr.path.endsWith(`/${sha256(expected.bytes)}`), `${rr.path} is content-addressed`);
          assert.ok(rr.path.startsWith(`${prefix}tenants/${tenantId}/`), `${rr.path} is under the tenant`);
          const stored = mode === 'blob store'
            ? await readFile(blobFile(t.blobRoot, rr.path))
            : (await t.db.scoped(tenantId).query<{ bytes: Uint8Array }>('SELECT bytes FROM symphainy.artifact_contents WHERE tenant_id = $1 AND sha256 = $2', [tenantId, rr.sha256]))[0]!.bytes;
          assert.deepEqual(new Uint8Array(stored), new Uint8Array(expected.bytes));
          const read = await t.runtime.readRendering(o.artifactId!, expected.name, { tenantId });
          assert.deepEqual(new Uint8Array(read.bytes), new Uint8Array(expected.bytes));
          assert.equal(read.contentType, expected.contentType);
        }

        // The index row.
        const rows = await t.db.scoped(ANY_TENANT).query<Record<string, unknown>>('SELECT * FROM symphainy.artifacts WHERE artifact_id = $1', [o.artifactId]);
        assert.equal(rows.length, 1);
        const row = rows[0]!;
        assert.equal(row.tenant_id, tenantId);
        assert.equal(row.session_id, sessionId);
        assert.equal(row.execution_id, result.executionId);
        assert.equal(row.artifact_key, key);
        assert.equal(row.result_type, resultType);
        assert.equal(row.decision, 'persist');
        assert.equal(row.layer, 'solution');
        assert.equal(row.reason, o.reason);
        assert.equal(row.policy_version, t.runtime.policy.version);
        assert.equal(row.storage_path, o.storagePath);
        assert.equal(Number(row.size_bytes), ref.sizeBytes);

        // The state surface: references and semantic payload.
        assert.equal(state.references[`${key}_artifact_id`], o.artifactId);
        assert.equal(state.references[`${key}_storage_path`], o.storagePath);
        assert.deepEqual(state.semantic[key], { resultType, payload: ref.semanticPayload });
        assert.deepEqual(o.semanticPayload, ref.semanticPayload);
      }
      assert.equal(Object.keys(state.references).length, 2 * Object.keys(c.expect).length);
    });
  }
});

describe('under the default policy (no config) every derived type is discarded', () => {
  let t: TestRuntime;
  const tenantId = uid('def');
  const sessionId = uid('s');
  const results: { c: Case; result: ExecutionResult; direct: Map<string, NormalizedArtifact> }[] = [];
  before(async () => {
    t = await testRuntime();
    for (const c of await cases()) results.push({ c, ...(await run(t, c, tenantId, sessionId)) });
  });
  after(() => t?.close());

  it('decides discard at the default layer, with reason and the runtime policy version', () => {
    assert.equal(results.flatMap((r) => r.result.artifacts).length, 7);
    for (const { c, result } of results) {
      assert.equal(result.status, 'completed');
      assert.equal(result.policyVersion, t.runtime.policy.version);
      for (const [key, resultType] of Object.entries(c.expect)) {
        const o = outcome(result, key);
        assert.equal(o.resultType, resultType);
        assert.equal(o.decision, 'discard');
        assert.equal(o.layer, 'default');
        assert.ok(o.reason.length > 0);
        assert.equal(o.policyVersion, t.runtime.policy.version);
        assert.equal(o.artifactId, undefined);
        assert.equal(o.storagePath, undefined);
        assert.equal(o.cacheId, undefined);
        assert.notEqual(o.stored, true);
      }
    }
  });

  it('writes no blob, no index row and no cache entry', async () => {
    assert.deepEqual(await filesUnder(t.blobRoot), []);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts'), 0);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.cache_entries'), 0);
    assert.deepEqual(await t.runtime.listArtifacts({ tenantId }), []);
  });

  it('keeps every semantic payload in the state surface, with no references', async () => {
    for (const { c, result, direct } of results) {
      const state = stateOf(await t.runtime.getExecution(result.executionId, { tenantId }));
      assert.deepEqual(state.references, {});
      for (const [key, resultType] of Object.entries(c.expect)) {
        assert.ok(direct.get(key)!.semanticPayload, 'the example realm returns a semantic payload');
        assert.deepEqual(state.semantic[key], { resultType, payload: direct.get(key)!.semanticPayload });
      }
    }
  });

  it('records one governance_decision per artifact in the WAL', async () => {
    for (const { result } of results) {
      const decisions = await t.runtime.listWal({ tenantId, executionId: result.executionId, recordType: 'governance_decision' });
      assert.deepEqual(decisions.map((d) => d.payload.artifactKey).sort(), result.artifacts.map((a) => a.key).sort());
      for (const d of decisions) {
        const o = outcome(result, d.payload.artifactKey as string);
        assert.equal(d.payload.decision, 'discard');
        assert.equal(d.payload.layer, 'default');
        assert.equal(d.payload.reason, o.reason);
        assert.equal(d.payload.policyVersion, t.runtime.policy.version);
        assert.equal(d.payload.resultType, o.resultType);
        assert.deepEqual(d.payload.outcome, { stored: false });
      }
    }
  });
});
