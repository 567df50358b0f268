import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ArtifactStorageError, type BlobStore } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { count, stateOf, uid } from './helpers.ts';

/** A blob store whose writes always fail, e.g. a full disk or an unreachable bucket. */
class BrokenBlobStore implements BlobStore {
  readonly name = 'broken';
  puts = 0;
  async put(key: string): Promise<void> {
    this.puts++;
    throw new ArtifactStorageError(`cannot write blob '${key}': disk full`);
  }
  async get(key: string): Promise<Uint8Array> {
    throw new ArtifactStorageError(`blob '${key}' is missing`);
  }
  async exists(): Promise<boolean> {
    return false;
  }
  async delete(key: string): Promise<void> {
    throw new ArtifactStorageError(`cannot delete blob '${key}': disk unavailable`);
  }
}

it('a blob store that cannot write does not lose the execution: decision, failure and reason are recorded', async () => {
  const blobStore = new BrokenBlobStore();
  const t = await testRuntime({ solutionConfig: MVP_CONFIG, blobStore, inlineMaxBytes: 0 });
  try {
    const tenantId = uid('disk');
    const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
    assert.equal(result.status, 'completed');
    assert.ok(blobStore.puts > 0, 'the runtime tried to store');
    assert.deepEqual(result.artifacts.map((a) => a.key).sort(), ['visual', 'workflow']);
    for (const o of result.artifacts) {
      assert.equal(o.decision, 'persist');
      assert.equal(o.layer, 'solution');
      assert.equal(o.stored, false);
      assert.match(o.storageError ?? '', /disk full/);
      assert.equal(o.artifactId, undefined);
      assert.equal(o.storagePath, undefined);
      assert.ok(o.semanticPayload);
    }

    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts'), 0);
    assert.deepEqual(await t.runtime.listArtifacts({ tenantId }), []);

    const e = await t.runtime.getExecution(result.executionId, { tenantId });
    assert.equal(e.status, 'completed');
    const state = stateOf(e);
    assert.deepEqual(state.references, {});
    assert.deepEqual(Object.keys(state.semantic).sort(), ['visual', 'workflow']);

    const decisions = await t.runtime.listWal({ tenantId, executionId: result.executionId, recordType: 'governance_decision' });
    assert.equal(decisions.length, 2);
    for (const d of decisions) {
      assert.equal(d.payload.decision, 'persist');
      const outcome = d.payload.outcome as { stored: boolean; storageError?: string; artifactId?: string };
      assert.equal(outcome.stored, false);
      assert.match(outcome.storageError ?? '', /disk full/);
      assert.equal(outcome.artifactId, undefined);
    }

    await t.runtime.flushEvents();
    const events = await t.runtime.listEvents({ tenantId, executionId: result.executionId });
    assert.equal(events.at(-1)?.eventType, 'execution.completed');
    const done = events.at(-1)!.payload as { artifacts: { artifactId: string | null }[] };
    assert.deepEqual(done.artifacts.map((a) => a.artifactId), [null, null]);
  } finally {
    await t.close();
  }
});
