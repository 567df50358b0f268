import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ANY_TENANT, defineRealm, InvalidRequestError, parseSolutionConfig, type Runtime } from '../../src/index.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

/** A realm that carries its input everywhere a realm can: semantic payload, renderings (persisted and cached), events, errors. */
const notes = defineRealm({
  name: 'notes',
  intents: {
    write: {
      params: z.object({ text: z.string(), customer_id: z.string().optional() }),
      handler: ({ text }: { text: string }) => ({
        artifacts: {
          workflow: { resultType: 'workflow', semanticPayload: { text }, renderings: { md: `# ${text}` } },
          visual: { resultType: 'visual', semanticPayload: { caption: text }, renderings: { svg: `<svg><text>${text}</text></svg>` } },
        },
        events: [{ type: 'note.written', data: { text } }],
      }),
    },
    fail: {
      params: z.object({ text: z.string(), customer_id: z.string().optional() }),
      handler: ({ text }: { text: string }) => {
        throw new Error(`cannot handle ${text}`);
      },
    },
  },
});
const POLICY = parseSolutionConfig({ name: 'erasure-test', materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '1h' } } });

/** Where a marker string still appears: every table of the schema (as row text), renderings in the database and every blob file. */
async function traces(t: TestRuntime, marker: string): Promise<string[]> {
  const found: string[] = [];
  const q = t.db.scoped(ANY_TENANT);
  const tables = await q.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'symphainy'");
  for (const { table_name } of tables) {
    const [row] = await q.query<{ n: string | number }>(`SELECT count(*) AS n FROM symphainy.${table_name} x WHERE x::text LIKE '%' || $1 || '%'`, [marker]);
    if (Number(row!.n) > 0) found.push(`table ${table_name}`);
  }
  // The embedded cache keeps rendering bytes base64-encoded (or, encryption on, one sealed value): decode them too.
  const cached = await q.query<{ renderings: { base64: string }[] | string }>('SELECT renderings FROM symphainy.cache_entries');
  if (cached.some((r) => typeof r.renderings !== 'string' && r.renderings.some((x) => Buffer.from(x.base64, 'base64').includes(marker)))) {
    found.push('cache_entries renderings');
  }
  // Small renderings are kept in the database as bytes.
  const contents = await q.query<{ bytes: Uint8Array }>('SELECT bytes FROM symphainy.artifact_contents');
  if (contents.some((r) => Buffer.from(r.bytes).includes(marker))) found.push('rendering in artifact_contents');
  for (const file of await filesUnder(t.blobRoot)) {
    if ((await readFile(file)).includes(marker)) found.push(`rendering blob ${file.slice(t.blobRoot.length + 1)}`);
  }
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** The `text` parameter of a session's executions, read (opened) through the runtime, oldest first. */
async function texts(rt: Runtime, tenantId: string, sessionId: string): Promise<unknown[]> {
  const list = await rt.listExecutions({ tenantId, sessionId, limit: 50 });
  const out: unknown[] = [];
  for (const e of list) out.push(((await rt.getExecution(e.executionId, { tenantId })).parameters as { text?: unknown }).text);
  return out.reverse();
}

async function write(rt: Runtime, tenantId: string, sessionId: string, text: string, customer?: string, intent = 'notes.write') {
  return rt.execute({ intentType: intent, tenantId, sessionId, parameters: { text, ...(customer ? { customer_id: customer } : {}) } });
}

describe('erasure across every store', () => {
  it('a session: no trace of its marker in any table or blob, other sessions and tenants untouched, the WAL chain intact', async () => {
    const t = await testRuntime({ realms: [notes], solutionConfig: POLICY });
    try {
      const [a, b] = [uid('acme'), uid('beta')];
      const gone = `MARKER-${uid('gone')}`;
      const kept = `MARKER-${uid('kept')}`;
      const other = `MARKER-${uid('other')}`;
      await write(t.runtime, a, 's1', gone);
      await write(t.runtime, a, 's1', gone, undefined, 'notes.fail');
      await t.runtime.execute({ intentType: 'notes.write', tenantId: a, sessionId: 's1', parameters: { text: 5 as unknown as string } }).catch(() => {});
      await write(t.runtime, a, 's2', kept);
      await write(t.runtime, b, 's1', other);
      await t.runtime.flushEvents();
      const before = await traces(t, gone);
      // Parameters, payloads, results, error messages and WAL content are sealed: no clear copy even before erasure.
      for (const where of ['table executions', 'table wal']) {
        assert.ok(!before.some((w) => w.startsWith(where)), `the marker is sealed in ${where} (found: ${before.join(', ')})`);
      }
      assert.equal((await t.runtime.getExecution((await t.runtime.listExecutions({ tenantId: a, sessionId: 's1', limit: 5 })).at(-1)!.executionId, { tenantId: a })).parameters.text, gone,
        'read through the runtime, the parameters open');

      const report = await t.runtime.erase({ tenantId: a, sessionId: 's1' });
      assert.equal(report.executions.length, 2);
      assert.equal(report.keys.destroyed.length, 1, "the session's data key");
      assert.equal(report.artifactsDeleted.length, 1);
      assert.equal(report.cacheEntriesRemoved, 1);
      assert.ok(report.walRecordsRedacted >= 3 && report.outboxEventsRedacted >= 4);
      assert.deepEqual(report.held, []);
      assert.deepEqual(await traces(t, gone), []);
      // Everything is sealed, so what stays is checked through the runtime.
      assert.deepEqual(await texts(t.runtime, a, 's2'), [kept], "another session's data stays");
      assert.deepEqual(await texts(t.runtime, b, 's1'), [other], "another tenant's data stays");

      const [record] = await t.runtime.listWal({ tenantId: a, recordType: 'erasure' });
      assert.equal(record!.payload.erasureId, report.erasureId);
      assert.deepEqual(record!.payload.executions, report.executions);
      assert.ok((await t.runtime.verifyWal({ tenantId: ANY_TENANT })).every((r) => r.ok), 'redaction keeps every chain intact');
      assert.deepEqual((await t.runtime.erase({ tenantId: a, sessionId: 's1' })).executions, [], 'erasing again finds nothing left');
    } finally {
      await t.close();
    }
  });

  it('a subject: only executions whose parameter matches; the erasure record keeps the value as a hash only', async () => {
    const t = await testRuntime({ realms: [notes], solutionConfig: POLICY });
    try {
      const a = uid('acme');
      const m42 = `MARKER-${uid('c42')}`;
      const m43 = `MARKER-${uid('c43')}`;
      await write(t.runtime, a, 's', m42, 'customer-42');
      await write(t.runtime, a, 's', m43, 'customer-43');
      const report = await t.runtime.erase({ tenantId: a, subject: { key: 'customer_id', value: 'customer-42' } });
      assert.equal(report.executions.length, 1);
      assert.deepEqual(await traces(t, m42), []);
      assert.deepEqual(await traces(t, 'customer-42'), [], 'the subject value itself is nowhere');
      assert.deepEqual((await texts(t.runtime, a, 's')).filter((x) => x !== undefined), [m43], "the other customer's execution still opens; the erased one is redacted");
      assert.match(report.scope.subject!.valueHmac!, /^[0-9a-f]{64}$/);
      assert.notEqual(report.scope.subject!.valueHmac, createHash('sha256').update('customer-42').digest('hex'), 'keyed, not a plain hash');
    } finally {
      await t.close();
    }
  });

  it('with encryption off, the erasure record names the subject key only: a plain hash of the value would confirm a guess', async () => {
    const t = await testRuntime({ realms: [notes], solutionConfig: POLICY, encryption: false });
    try {
      const a = uid('acme');
      await write(t.runtime, a, 's', `MARKER-${uid('c42')}`, 'customer-42');
      const report = await t.runtime.erase({ tenantId: a, subject: { key: 'customer_id', value: 'customer-42' } });
      assert.equal(report.executions.length, 1);
      assert.deepEqual(report.scope.subject, { key: 'customer_id' });
      assert.deepEqual(await traces(t, createHash('sha256').update('customer-42').digest('hex')), [], 'no plain hash of the value anywhere');
    } finally {
      await t.close();
    }
  });

  it('a tenant: legal holds keep their artifacts and are reported, everything else goes', async () => {
    const t = await testRuntime({ realms: [notes], solutionConfig: POLICY });
    try {
      const a = uid('acme');
      const heldText = `MARKER-${uid('held')}`;
      const freeText = `MARKER-${uid('free')}`;
      const held = await write(t.runtime, a, 's1', heldText);
      await write(t.runtime, a, 's2', freeText);
      const heldId = held.artifacts.find((x) => x.key === 'workflow')!.artifactId!;
      await t.runtime.holdArtifact(heldId, { tenantId: a }, 'litigation 7');
      const report = await t.runtime.erase({ tenantId: a });
      assert.deepEqual(report.held, [{ artifactId: heldId, reason: 'litigation 7' }]);
      assert.equal(report.artifactsDeleted.length, 1);
      assert.deepEqual(await traces(t, freeText), []);
      // Sealed everywhere; the held artifact still opens, since the hold keeps the tenant's keys.
      assert.deepEqual(await traces(t, heldText), []);
      assert.equal((await t.runtime.getArtifact(heldId, { tenantId: a })).deleted, null);
      const [rendering] = (await t.runtime.getArtifact(heldId, { tenantId: a })).renderings;
      assert.ok(Buffer.from((await t.runtime.readRendering(heldId, rendering!.name, { tenantId: a })).bytes).includes(heldText));
      assert.deepEqual(report.keys.destroyed, []);
      assert.match(report.keys.kept ?? '', /1 artifact under legal hold in scope/);
    } finally {
      await t.close();
    }
  });

  it('a bad scope is refused, naming the field', async () => {
    const t = await testRuntime({ realms: [notes] });
    try {
      await assert.rejects(t.runtime.erase({ tenantId: '' }), (err: unknown) => err instanceof InvalidRequestError && /tenantId/.test(err.message));
      await assert.rejects(t.runtime.erase({ tenantId: 'a', subject: { key: 'x y', value: '1' } }), /subject\.key must be a parameter name/);
    } finally {
      await t.close();
    }
  });
});
