import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY_TENANT, NotFoundError, type ExecutionResult } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

describe('tenant isolation', () => {
  let t: TestRuntime;
  const a = uid('a');
  const b = uid('b');
  let ra: ExecutionResult;
  let rb: ExecutionResult;
  let artifactA: string;

  before(async () => {
    t = await testRuntime({ solutionConfig: MVP_CONFIG });
    // Same session id on purpose: the tenant is what separates them.
    const run = (tenantId: string) =>
      t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 'shared', parameters: { sop_text: SOP_TEXT } });
    ra = await run(a);
    rb = await run(b);
    artifactA = ra.artifacts[0]!.artifactId!;
  });
  after(() => t?.close());

  /** Asserts `p` rejects with the NotFoundError a missing id gets (same code and message shape). */
  async function notFound(p: Promise<unknown>, kind: string, id: string): Promise<void> {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof NotFoundError, String(err));
      assert.equal(err.code, 'SYM_ERR_NOT_FOUND');
      assert.equal(err.message, `${kind} '${id}' not found`);
      return true;
    });
  }

  it("each tenant reads its own execution; another tenant's id looks exactly like a missing one", async () => {
    assert.equal((await t.runtime.getExecution(ra.executionId, { tenantId: a })).tenantId, a);
    await notFound(t.runtime.getExecution(ra.executionId, { tenantId: b }), 'execution', ra.executionId);
    const missing = '00000000-0000-4000-8000-000000000000';
    await notFound(t.runtime.getExecution(missing, { tenantId: b }), 'execution', missing);
  });

  it("getArtifact and readRendering refuse another tenant's artifact as not found", async () => {
    assert.equal((await t.runtime.getArtifact(artifactA, { tenantId: a })).tenantId, a);
    const name = ra.artifacts[0]!.renderings[0]!;
    assert.ok((await t.runtime.readRendering(artifactA, name, { tenantId: a })).bytes.byteLength > 0);
    await notFound(t.runtime.getArtifact(artifactA, { tenantId: b }), 'artifact', artifactA);
    await notFound(t.runtime.readRendering(artifactA, name, { tenantId: b }), 'artifact', artifactA);
    const missing = 'art_00000000-0000-4000-8000-000000000000';
    await notFound(t.runtime.getArtifact(missing, { tenantId: a }), 'artifact', missing);
    await assert.rejects(t.runtime.readRendering(artifactA, 'no-such-rendering', { tenantId: a }), NotFoundError);
  });

  it('listArtifacts, listExecutions and listEvents are scoped to the tenant', async () => {
    const artsA = await t.runtime.listArtifacts({ tenantId: a });
    const artsB = await t.runtime.listArtifacts({ tenantId: b });
    assert.deepEqual(artsA.map((x) => x.artifactId).sort(), ra.artifacts.map((x) => x.artifactId).sort());
    assert.deepEqual(artsB.map((x) => x.artifactId).sort(), rb.artifacts.map((x) => x.artifactId).sort());
    assert.deepEqual(await t.runtime.listArtifacts({ tenantId: b, executionId: ra.executionId }), []);
    assert.deepEqual(await t.runtime.listArtifacts({ tenantId: b, sessionId: 'shared', resultType: 'workflow' }).then((x) => x.map((y) => y.tenantId)), [b]);

    assert.deepEqual((await t.runtime.listExecutions({ tenantId: a })).map((e) => e.executionId), [ra.executionId]);
    assert.deepEqual((await t.runtime.listExecutions({ tenantId: b, sessionId: 'shared' })).map((e) => e.executionId), [rb.executionId]);
    assert.deepEqual(await t.runtime.listExecutions({ tenantId: uid('nobody') }), []);

    assert.ok((await t.runtime.listEvents({ tenantId: a })).every((e) => e.tenantId === a));
    assert.deepEqual(await t.runtime.listEvents({ tenantId: b, executionId: ra.executionId }), []);

    // Operator scope sees both.
    const every = await t.runtime.listExecutions({ tenantId: ANY_TENANT });
    assert.deepEqual(every.map((e) => e.executionId).sort(), [ra.executionId, rb.executionId].sort());
  });

  it("renderings of different tenants live under different prefixes (and rows), even for identical bytes", async () => {
    const ga = await t.runtime.getArtifact(artifactA, { tenantId: a });
    const gb = await t.runtime.getArtifact(rb.artifacts[0]!.artifactId!, { tenantId: b });
    // Same SOP, same bytes; with encryption at rest (the default) each tenant's address is keyed under its own keys.
    assert.deepEqual(Buffer.from((await t.runtime.readRendering(ga.artifactId, ga.renderings[0]!.name, { tenantId: a })).bytes),
      Buffer.from((await t.runtime.readRendering(gb.artifactId, gb.renderings[0]!.name, { tenantId: b })).bytes));
    assert.notEqual(ga.renderings[0]!.sha256, gb.renderings[0]!.sha256, 'keyed per tenant');
    assert.notEqual(ga.renderings[0]!.path, gb.renderings[0]!.path);
    assert.ok(ga.storagePath.startsWith(`inline:tenants/${a}/`) && ga.renderings[0]!.path.startsWith(`inline:tenants/${a}/`));
    assert.ok(gb.storagePath.startsWith(`inline:tenants/${b}/`));
    const rows = await t.db.scoped(ANY_TENANT).query('SELECT tenant_id FROM symphainy.artifact_contents WHERE sha256 = ANY($1::text[]) ORDER BY tenant_id',
      [[ga.renderings[0]!.sha256, gb.renderings[0]!.sha256]]);
    assert.deepEqual(rows.map((r) => r.tenant_id), [a, b].sort(), 'one row of content per tenant');
  });
});
