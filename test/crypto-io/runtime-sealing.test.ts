import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ANY_TENANT, createRuntime, defineRealm, FsBlobStore, parseSolutionConfig, type OutboxEvent, type Runtime } from '../../src/index.ts';
import { KeyDestroyedError } from '../../src/errors/index.ts';
import { rawFiles } from '../crypto/crypto-fixtures.ts';
import { freshDb, silentLogger, TEST_DRIVER, type TestDb } from '../support/test-runtime.ts';
import { freshCipher, holds } from './cipher-fixtures.ts';

/**
 * The runtime hands its cipher to the artifact storage, the cache tier, the
 * outbox and the in-process bus: what an execution leaves in blobs, cache
 * entries, inline renderings and outbox payloads is sealed under its cover
 * (tenant, session, declared subject), and erasing the subject's key makes
 * all of it unreadable.
 */

const MARK = 'SEALED-CONTENT-MARKER-0042';
const notes = defineRealm({
  name: 'notes',
  intents: {
    write: {
      params: z.object({ text: z.string(), customer_id: z.string() }),
      handler: ({ text }: { text: string }) => ({
        artifacts: {
          workflow: { resultType: 'workflow', renderings: { big: `${MARK}${text}`.padEnd(40_000, '.'), small: `${MARK}${text}` } },
          visual: { resultType: 'visual', renderings: { svg: `${MARK}<svg>${text}</svg>` } },
        },
        events: [{ type: 'note.written', data: { text: `${MARK}${text}` } }],
      }),
    },
  },
});
const POLICY = parseSolutionConfig({ name: 'sealing', materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '1h', promote: true } } });

describe(`a runtime with a cipher seals blobs, cache entries and events (${TEST_DRIVER})`, () => {
  let db: TestDb;
  let blobRoot: string;
  let fx: Awaited<ReturnType<typeof freshCipher>>;
  let runtime: Runtime;
  before(async () => {
    db = await freshDb();
    blobRoot = await mkdtemp(join(tmpdir(), 'sym-sealed-runtime-'));
    fx = await freshCipher();
    runtime = await createRuntime(
      { db, blobStore: new FsBlobStore({ root: blobRoot, fsync: false }), realms: [notes], solutionConfig: POLICY, logger: silentLogger },
      { cipher: fx.cipher },
    );
  });
  after(async () => {
    await runtime?.close();
    await db?.close();
    await rm(blobRoot, { recursive: true, force: true });
    await fx?.cleanup();
  });

  it('leaves no clear content in blobs, cache entries, inline renderings or outbox payloads; reads open them; erasure by key destruction closes them', async () => {
    const heard: OutboxEvent[] = [];
    runtime.subscribe((e) => void heard.push(e), { tenantId: 'acme', eventTypes: ['note.written'] });
    const result = await runtime.execute({ intentType: 'notes.write', tenantId: 'acme', sessionId: 's1', parameters: { text: 'hello', customer_id: '42' } });
    assert.equal(result.status, 'completed');
    await runtime.flushEvents();
    const workflow = result.artifacts.find((a) => a.key === 'workflow')!;
    const visual = result.artifacts.find((a) => a.key === 'visual')!;
    assert.equal(workflow.stored, true);
    assert.equal(visual.stored, true);

    // Raw: blob files, and the tables this covers.
    for (const f of await rawFiles(blobRoot)) assert.ok(!holds(f.bytes, MARK), `blob ${f.path} holds content in clear`);
    const q = db.scoped(ANY_TENANT);
    const cacheRows = await db.scoped('acme').query<{ v: string }>('SELECT renderings::text AS v FROM symphainy.cache_entries WHERE tenant_id = $1', ['acme']);
    const eventRows = await q.query<{ v: string }>("SELECT payload::text AS v FROM symphainy.outbox WHERE event_type = 'note.written'");
    assert.deepEqual([cacheRows.length, eventRows.length], [1, 1]);
    const rows = [...cacheRows, ...eventRows];
    for (const r of rows) assert.ok(!holds(r.v, MARK), `row holds content in clear: ${r.v.slice(0, 60)}`);
    const inline = await q.query<{ bytes: Uint8Array }>('SELECT bytes FROM symphainy.artifact_contents');
    assert.equal(inline.length, 1);
    assert.ok(!holds(inline[0]!.bytes, MARK));

    // Reads open them.
    const scope = { tenantId: 'acme' };
    const big = await runtime.readRendering(workflow.artifactId!, 'big', scope);
    const small = await runtime.readRendering(workflow.artifactId!, 'small', scope);
    assert.ok(Buffer.from(big.bytes).toString().startsWith(`${MARK}hello`));
    assert.equal(Buffer.from(small.bytes).toString(), `${MARK}hello`);
    const [cached] = await runtime.getCached({ tenantId: 'acme', cacheId: visual.cacheId! });
    assert.equal(Buffer.from(cached!.renderings[0]!.bytes).toString(), `${MARK}<svg>hello</svg>`);
    assert.deepEqual(heard.map((e) => e.payload), [{ text: `${MARK}hello` }]);
    const listed = (await runtime.listEvents({ tenantId: 'acme', executionId: result.executionId })).find((e) => e.eventType === 'note.written');
    assert.deepEqual(listed!.payload, { text: `${MARK}hello` });

    // Destroying the subject's key closes every copy.
    await fx.keyring.destroy({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '42' });
    await assert.rejects(runtime.readRendering(workflow.artifactId!, 'big', scope), KeyDestroyedError);
    await assert.rejects(runtime.readRendering(workflow.artifactId!, 'small', scope), KeyDestroyedError);
    assert.deepEqual(await runtime.getCached({ tenantId: 'acme', cacheId: visual.cacheId! }), []);
    const after = (await runtime.listEvents({ tenantId: 'acme', executionId: result.executionId })).find((e) => e.eventType === 'note.written');
    assert.equal((after!.payload as { redacted: boolean }).redacted, true);
  });

  it('dedupes sealed renderings within a cover, and garbage collection removes unreferenced sealed blobs only', async () => {
    const run = (sessionId: string) =>
      runtime.execute({ intentType: 'notes.write', tenantId: 'gc', sessionId, parameters: { text: 'same', customer_id: '9' } });
    const [a, b, c] = [await run('s1'), await run('s1'), await run('s2')];
    const pathOf = async (r: typeof a) => {
      const [row] = await db.scoped('gc').query<{ renderings: { name: string; path: string }[] }>(
        'SELECT renderings FROM symphainy.artifacts WHERE artifact_id = $1', [r.artifacts.find((x) => x.key === 'workflow')!.artifactId]);
      return row!.renderings.find((x) => x.name === 'big')!.path;
    };
    assert.equal(await pathOf(a), await pathOf(b), 'same bytes, same cover: one blob');
    assert.notEqual(await pathOf(a), await pathOf(c), 'another session: its own blob');
    assert.match(await pathOf(a), /^tenants\/gc\/hk1\//);

    // Everything old; an orphan at a keyed address too: only the orphan goes.
    const old = new Date(Date.now() - 2 * 3600_000);
    const orphan = `tenants/gc/hk1/ab/ab${randomBytes(31).toString('hex')}`;
    await mkdir(dirname(join(blobRoot, orphan)), { recursive: true });
    await writeFile(join(blobRoot, orphan), randomBytes(100));
    for (const f of await rawFiles(blobRoot)) await utimes(f.path, old, old);
    const report = await runtime.sweep();
    assert.equal(report.garbage.blobsRemoved, 1);
    assert.ok(!(await rawFiles(blobRoot)).some((f) => f.path.endsWith(orphan)));
    for (const r of [a, b, c]) {
      const bytes = await runtime.readRendering(r.artifacts.find((x) => x.key === 'workflow')!.artifactId!, 'big', { tenantId: 'gc' });
      assert.ok(Buffer.from(bytes.bytes).toString().startsWith(`${MARK}same`));
    }
  });

  it("a cached artifact kept (promoted) is sealed under its execution's cover: erasing its subject closes it", async () => {
    const r = await runtime.execute({ intentType: 'notes.write', tenantId: 'keep', sessionId: 's1', parameters: { text: 'kept', customer_id: '77' } });
    const visual = r.artifacts.find((a) => a.key === 'visual')!;
    const kept = await runtime.keepCached(visual.cacheId!, { tenantId: 'keep' });
    assert.equal(kept.kept, true);
    const read = await runtime.readRendering(kept.artifactId!, 'svg', { tenantId: 'keep' });
    assert.equal(Buffer.from(read.bytes).toString(), `${MARK}<svg>kept</svg>`);
    await fx.keyring.destroy({ kind: 'subject', tenantId: 'keep', name: 'customer_id', value: '77' });
    await assert.rejects(runtime.readRendering(kept.artifactId!, 'svg', { tenantId: 'keep' }), KeyDestroyedError);
  });
});
