import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleRealms } from '../../src/examples/realms.ts';
import { ANY_TENANT, createRuntime, RuntimeClosedError, type Runtime } from '../../src/index.ts';
import { silentLogger, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

/** Calls `fn`; a synchronous throw is turned into a marker so the test can tell it from a rejected promise. */
function call(fn: () => Promise<unknown>): Promise<unknown> | { threwSynchronously: unknown } {
  try {
    return fn();
  } catch (err) {
    return { threwSynchronously: err };
  }
}

describe('a closed runtime', () => {
  it('close() is idempotent and what was committed before it stays readable through the database', async () => {
    const t = await testRuntime();
    const tenantId = uid('close');
    try {
      const r = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      await t.runtime.close();
      await t.runtime.close();
      const rows = await t.db.scoped(ANY_TENANT).query<{ status: string }>('SELECT status FROM symphainy.executions WHERE execution_id = $1', [r.executionId]);
      assert.deepEqual(rows, [{ status: 'completed' }]);
      // close() delivered what was committed.
      const unpublished = await t.db.scoped(ANY_TENANT).query('SELECT event_id FROM symphainy.outbox WHERE published_at IS NULL');
      assert.deepEqual(unpublished, []);
    } finally {
      await t.close();
    }
  });

  it('every promise-returning method rejects with RuntimeClosedError (never throws synchronously)', async () => {
    const t = await testRuntime();
    try {
      await t.runtime.close();
      const rt: Runtime = t.runtime;
      const scope = { tenantId: 'x' };
      const calls: Record<string, () => Promise<unknown>> = {
        execute: () => rt.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'x', sessionId: 's', parameters: { sop_text: SOP_TEXT } }),
        getExecution: () => rt.getExecution('e', scope),
        listExecutions: () => rt.listExecutions(scope),
        getArtifact: () => rt.getArtifact('a', scope),
        listArtifacts: () => rt.listArtifacts(scope),
        readRendering: () => rt.readRendering('a', 'r', scope),
        listWal: () => rt.listWal(scope),
        listEvents: () => rt.listEvents(scope),
        getCached: () => rt.getCached(scope),
      };
      const sync: string[] = [];
      for (const [name, fn] of Object.entries(calls)) {
        const p = call(fn);
        if (!(p instanceof Promise)) {
          sync.push(name);
          assert.ok(p.threwSynchronously instanceof RuntimeClosedError, `${name}: ${String(p.threwSynchronously)}`);
          continue;
        }
        await assert.rejects(p, RuntimeClosedError, name);
      }
      assert.deepEqual(sync, [], `these methods throw synchronously instead of returning a rejected promise: ${sync.join(', ')}`);
    } finally {
      await t.close();
    }
  });
});

describe('closing', () => {
  it('concurrent close() calls all wait for the same shutdown (the data dir is free when either resolves)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'symphainy-close-'));
    try {
      const runtime = await createRuntime({ dataDir, realms: [...exampleRealms], logger: silentLogger });
      await runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'c', sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      const first = runtime.close();
      await runtime.close(); // the second call
      // Had the second call returned early, the first would still hold the lock.
      assert.equal(existsSync(join(dataDir, 'lock')), false, 'the data dir is still locked');
      await first;
      await assert.rejects(runtime.listExecutions({ tenantId: 'x' }), RuntimeClosedError);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('subscribe() without a tenant scope is refused (ANY_TENANT must be said explicitly)', async () => {
    const t = await testRuntime();
    try {
      assert.throws(() => t.runtime.subscribe(() => {}, undefined as never), /tenant id \(or ANY_TENANT\) is required/);
      assert.throws(() => t.runtime.subscribe(() => {}, {} as never), /tenant id \(or ANY_TENANT\) is required/);
    } finally {
      await t.close();
    }
  });
});
