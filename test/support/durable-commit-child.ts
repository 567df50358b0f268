/**
 * A process for the embedded-durability tests: opens the embedded store at
 * argv[2] with durability argv[3] (`fsync` | `none`), runs argv[4] executions
 * of `ack.note` at once through the runtime (group commit on, the default),
 * and only after every one resolved writes one line to stdout — the
 * acknowledgement whose timing the tests compare with the sync calls:
 * `{"executionIds":[…],"syncs":N}`. With argv[5] `checkpoint`, it then runs
 * a CHECKPOINT, switches to a new WAL segment and runs two more executions
 * before that line.
 */
import { pino } from 'pino';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRuntime, defineRealm, FsBlobStore } from '../../src/index.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import type { EmbeddedDurability } from '../../src/db/pglite/pglite-db.ts';
import { migrate } from '../../src/db/migrations/migrate.ts';

const [dataDir, durability, count, then] = process.argv.slice(2) as [string, EmbeddedDurability, string, string?];

const realm = defineRealm({
  name: 'ack',
  intents: {
    note: {
      handler: (params: { n: number }) => ({
        artifacts: { note: { resultType: 'note', semanticPayload: { n: params.n }, renderings: { md: `note ${params.n}` } } },
        events: [],
      }),
    },
  },
});

await mkdir(dataDir, { recursive: true });
const db = await PgliteDb.open({ dataDir, durability });
await migrate(db);
const blobStore = new FsBlobStore({ root: join(dataDir, '..', 'blobs') });
const runtime = await createRuntime({ db, blobStore, realms: [realm], logger: pino({ level: 'silent' }) });
const before = db.syncs;
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, n) =>
    runtime.execute({ intentType: 'ack.note', tenantId: 'acme', sessionId: `s${n}`, parameters: { n } }),
  ),
);
if (then === 'checkpoint') {
  await db.query('CHECKPOINT');
  await db.query('SELECT pg_switch_wal()');
  for (const n of [1000, 1001]) results.push(await runtime.execute({ intentType: 'ack.note', tenantId: 'acme', sessionId: 'after', parameters: { n } }));
}
for (const r of results) if (r.status !== 'completed') throw new Error(`execution ${r.executionId} ended ${r.status}`);
process.stdout.write(`${JSON.stringify({ executionIds: results.map((r) => r.executionId), syncs: db.syncs - before })}\n`);
await runtime.close();
await db.close();
