import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY_TENANT, type ChainReport } from '../../src/index.ts';
import { contentSha256, recordSha256 } from '../../src/store/wal-chain.ts';
import { iso } from '../../src/db/sql.ts';
import { SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const SOP = { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: SOP_TEXT } };

/** A store with two executions of tenant acme and one of beta; `tamper` alters acme's log directly in the database. */
async function tampered(tamper: (t: TestRuntime, seqs: number[]) => Promise<unknown>): Promise<{ acme: ChainReport; beta: ChainReport; seqs: number[] }> {
  const t = await testRuntime();
  try {
    await t.runtime.execute({ ...SOP, tenantId: 'acme' });
    await t.runtime.execute({ ...SOP, tenantId: 'beta' });
    await t.runtime.execute({ ...SOP, tenantId: 'acme' });
    const seqs = (await t.runtime.listWal({ tenantId: 'acme' })).map((r) => r.seq);
    assert.deepEqual((await t.runtime.verifyWal({ tenantId: ANY_TENANT })).map((r) => r.ok), [true, true], 'intact before tampering');
    await tamper(t, seqs);
    const reports = await t.runtime.verifyWal({ tenantId: ANY_TENANT });
    return { acme: reports.find((r) => r.tenantId === 'acme')!, beta: reports.find((r) => r.tenantId === 'beta')!, seqs };
  } finally {
    await t.close();
  }
}

const sql = (t: TestRuntime, text: string, params: unknown[] = []) => t.db.scoped(ANY_TENANT).query(text, params);

describe('hash-chained WAL: wal verify', () => {
  it('an untouched log verifies, per tenant, with its head hash', async () => {
    const { acme, beta, seqs } = await tampered(async () => {});
    assert.equal(acme.ok, true);
    assert.equal(acme.records, seqs.length);
    assert.match(acme.headSha256!, /^[0-9a-f]{64}$/);
    assert.equal(beta.ok, true);
  });

  it('finds altered content', async () => {
    const { acme, beta, seqs } = await tampered((t, s) => sql(t, `UPDATE symphainy.wal SET payload = jsonb_set(payload, '{realm}', '"evil"') WHERE seq = $1`, [s[0]]));
    assert.deepEqual([acme.ok, acme.problem?.kind, acme.problem?.seq], [false, 'content-altered', seqs[0]]);
    assert.equal(beta.ok, true, "another tenant's chain is unaffected");
  });

  it('finds an altered field', async () => {
    const { acme, seqs } = await tampered((t, s) => sql(t, "UPDATE symphainy.wal SET recorded_at = recorded_at + interval '1 second' WHERE seq = $1", [s[3]]));
    assert.deepEqual([acme.problem?.kind, acme.problem?.seq], ['record-altered', seqs[3]]);
  });

  it('finds content altered with its hashes recomputed: the next record no longer follows it', async () => {
    const { acme, seqs } = await tampered(async (t, s) => {
      const [row] = await sql(t, 'SELECT * FROM symphainy.wal WHERE seq = $1', [s[2]]) as Record<string, unknown>[];
      const payload = { ...(row!.payload as object), forged: true };
      const content = contentSha256(payload);
      const hash = recordSha256(row!.prev_sha256 as string, {
        tenantId: 'acme', executionId: row!.execution_id as string, intentId: row!.intent_id as string,
        recordType: row!.record_type as string, recordedAt: iso(row!.recorded_at)!,
      }, content);
      await sql(t, 'UPDATE symphainy.wal SET payload = $2::jsonb, content_sha256 = $3, record_sha256 = $4 WHERE seq = $1', [s[2], JSON.stringify(payload), content, hash]);
    });
    assert.deepEqual([acme.problem?.kind, acme.problem?.seq], ['missing', seqs[3]]);
  });

  it('finds a deleted record', async () => {
    const { acme, seqs } = await tampered((t, s) => sql(t, 'DELETE FROM symphainy.wal WHERE seq = $1', [s[4]]));
    assert.deepEqual([acme.problem?.kind, acme.problem?.seq], ['missing', seqs[5]]);
    assert.match(acme.problem!.message, new RegExp(`a record is missing before seq ${seqs[5]} \\(after seq ${seqs[3]}\\)`));
  });

  it('finds reordered records', async () => {
    const { acme, seqs } = await tampered(async (t, s) => {
      // Swap everything but the position between two neighbours.
      const cols = 'execution_id, intent_id, record_type, payload, recorded_at, content_sha256, prev_sha256, record_sha256';
      await sql(t, `UPDATE symphainy.wal w SET (${cols}) = (SELECT ${cols} FROM symphainy.wal o WHERE o.seq = CASE WHEN w.seq = $1 THEN $2::bigint ELSE $1::bigint END)
                     WHERE w.seq IN ($1, $2)`, [s[1], s[2]]);
    });
    assert.deepEqual([acme.problem?.kind, acme.problem?.seq], ['reordered', seqs[1]]);
  });

  it('finds records deleted from the end', async () => {
    const { acme } = await tampered((t, s) => sql(t, 'DELETE FROM symphainy.wal WHERE seq = $1', [s[s.length - 1]]));
    assert.equal(acme.problem?.kind, 'truncated');
    assert.match(acme.problem!.message, /the chain head holds \d+ records, the log \d+/);
  });

  it('a redacted payload (erasure) keeps the chain intact', async () => {
    const { acme } = await tampered((t, s) => sql(t, `UPDATE symphainy.wal SET payload = '{"redacted": true}'::jsonb WHERE seq = $1`, [s[0]]));
    assert.equal(acme.ok, true);
  });
});
