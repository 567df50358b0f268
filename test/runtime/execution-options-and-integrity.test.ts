import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  ANY_TENANT,
  ArtifactStorageError,
  compileMaterializationPolicy,
  ConfigError,
  defineRealm,
  loadSolutionConfig,
  type Db,
} from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { blobFile, uid } from './helpers.ts';

const sop = (tenantId: string) => ({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });

describe('execute() options', () => {
  it('{ policy } evaluates one execution under another compiled policy; the runtime\'s own stays in force for the rest', async () => {
    const t = await testRuntime(); // platform default policy
    try {
      const mvp = compileMaterializationPolicy({ solution: await loadSolutionConfig(MVP_CONFIG) });
      const tenantId = uid('opt');
      const under = await t.runtime.execute(sop(tenantId), { policy: mvp });
      assert.deepEqual(under.artifacts.map((a) => [a.decision, a.layer, a.policyVersion]), [
        ['persist', 'solution', mvp.version],
        ['persist', 'solution', mvp.version],
      ]);
      const plain = await t.runtime.execute(sop(tenantId));
      assert.deepEqual(plain.artifacts.map((a) => [a.decision, a.layer]), [['discard', 'default'], ['discard', 'default']]);
      assert.equal((await t.runtime.getExecution(under.executionId, { tenantId })).policyVersion, mvp.version);
    } finally {
      await t.close();
    }
  });

  it('{ timeoutMs } overrides the intent\'s own timeout; a non-positive one is refused before anything runs', async () => {
    const slow = defineRealm({
      name: 'slow',
      intents: { wait: { timeoutMs: 60_000, handler: (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) } },
    });
    const t = await testRuntime({ realms: [slow] });
    try {
      const tenantId = uid('timeout');
      const r = await t.runtime.execute({ intentType: 'slow.wait', tenantId, sessionId: 's' }, { timeoutMs: 30 });
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'SYM_ERR_REALM_TIMEOUT');
      assert.match(r.error!.message, /within 30 ms/);
      await assert.rejects(t.runtime.execute({ intentType: 'slow.wait', tenantId, sessionId: 's' }, { timeoutMs: 0 }), ConfigError);
      assert.equal((await t.runtime.listExecutions({ tenantId })).length, 1);
    } finally {
      await t.close();
    }
  });
});

describe('integrity and failures around the realm', () => {
  for (const where of ['blob', 'database row'] as const) it(`reading a rendering whose ${where} was altered fails with SYM_ERR_ARTIFACT_STORAGE instead of returning the bytes`, async () => {
    const t = await testRuntime({ solutionConfig: MVP_CONFIG, ...(where === 'blob' ? { inlineMaxBytes: 0 } : {}) });
    try {
      const tenantId = uid('tamper');
      const r = await t.runtime.execute(sop(tenantId));
      const visual = r.artifacts.find((a) => a.key === 'visual')!;
      const record = await t.runtime.getArtifact(visual.artifactId!, { tenantId });
      const svg = record.renderings.find((x) => x.name === 'svg')!;
      if (where === 'blob') await writeFile(blobFile(t.blobRoot, svg.path), '<svg>altered</svg>');
      else {
        await t.db.scoped(tenantId).query('UPDATE symphainy.artifact_contents SET bytes = $3 WHERE tenant_id = $1 AND sha256 = $2', [
          tenantId, svg.sha256, Buffer.from('<svg>altered</svg>'),
        ]);
      }
      await assert.rejects(t.runtime.readRendering(visual.artifactId!, 'svg', { tenantId }), (err: unknown) => {
        assert.ok(err instanceof ArtifactStorageError);
        // Sealed (encryption at rest, the default): the bytes no longer authenticate for their address.
        assert.match(err.message, /rendering 'svg' at '.*' does not open as sealed for its address \(corrupted or altered\)/);
        return true;
      });
      // The untouched rendering still reads.
      assert.ok((await t.runtime.readRendering(visual.artifactId!, 'mermaid', { tenantId })).bytes.byteLength > 0);
    } finally {
      await t.close();
    }
  });

  it('with encryption off, an altered rendering fails its recorded sha256 check', async () => {
    const t = await testRuntime({ solutionConfig: MVP_CONFIG, inlineMaxBytes: 0, encryption: false });
    try {
      const tenantId = uid('tamper-clear');
      const r = await t.runtime.execute(sop(tenantId));
      const visual = r.artifacts.find((a) => a.key === 'visual')!;
      const svg = (await t.runtime.getArtifact(visual.artifactId!, { tenantId })).renderings.find((x) => x.name === 'svg')!;
      await writeFile(blobFile(t.blobRoot, svg.path), '<svg>altered</svg>');
      await assert.rejects(t.runtime.readRendering(visual.artifactId!, 'svg', { tenantId }), (err: unknown) =>
        err instanceof ArtifactStorageError && /does not match its recorded sha256/.test(err.message));
    } finally {
      await t.close();
    }
  });

  it('a store failure after the realm ran (lineage lookup) fails the execution with SYM_ERR_STORE; it is not left running', async () => {
    let failLineage = false;
    const t = await testRuntime({ solutionConfig: MVP_CONFIG });
    await t.runtime.close();
    // Same database, behind a wrapper that fails the lineage query on demand.
    const flaky: Db = {
      capabilities: t.db.capabilities,
      location: t.db.location,
      query: (sql, params) => t.db.query(sql, params),
      exec: (sql) => t.db.exec(sql),
      transaction: (fn) => t.db.transaction(fn),
      scoped: (scope) => {
        const db = t.db.scoped(scope);
        return {
          ...db,
          scope,
          query: (sql, params) =>
            failLineage && sql.includes('WHERE artifact_id = ANY') ? Promise.reject(new Error('connection lost')) : db.query(sql, params),
        };
      },
      close: async () => {},
    };
    const { createRuntime, FsBlobStore } = await import('../../src/index.ts');
    const runtime = await createRuntime({
      db: flaky, blobStore: new FsBlobStore({ root: t.blobRoot, fsync: false }), realms: [...exampleRealms],
      solutionConfig: MVP_CONFIG, logger: (await import('../support/test-runtime.ts')).silentLogger,
    });
    try {
      const tenantId = uid('lineage');
      const wf = await runtime.execute(sop(tenantId));
      failLineage = true;
      const r = await runtime.execute({
        intentType: 'journey.workflow_to_sop', tenantId, sessionId: 's',
        parameters: { workflow: { steps: ['a', 'b'] }, workflow_artifact_id: wf.artifacts[0]!.artifactId },
      });
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'SYM_ERR_STORE');
      assert.match(r.error!.message, /connection lost/);
      const e = await runtime.getExecution(r.executionId, { tenantId });
      assert.equal(e.status, 'failed');
      const journey = (await runtime.listWal({ tenantId: ANY_TENANT, executionId: r.executionId }))
        .filter((w) => w.recordType === 'state_transition')
        .map((w) => `${String(w.payload.from)}→${String(w.payload.to)}`);
      assert.deepEqual(journey, ['accepted→running', 'running→materializing', 'materializing→failed']);
    } finally {
      await runtime.close();
      await t.close();
    }
  });
});
