import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineRealm, parsePlatformPolicy, type Runtime } from '../../src/index.ts';

/** The MVP policy file (persists workflows), which the proofs run under. */
export const MVP_POLICY = new URL('../../config/mvp_materialization_policy.yaml', import.meta.url).pathname;

/** Declares `customer_id` a data subject: each customer's content gets its own key. */
export const SUBJECTS_POLICY = parsePlatformPolicy({ subjects: ['customer_id'] });

/**
 * A realm that carries a customer's parameters into everything the records
 * keep: the semantic payload and the result (sealed) — but not into renderings
 * or events, whose stores seal on their own.
 */
export const crm = defineRealm({
  name: 'crm',
  intents: {
    note: {
      params: z.object({ customer_id: z.string(), note: z.string() }),
      handler: ({ customer_id, note }: { customer_id: string; note: string }) => ({
        artifacts: {
          workflow: { resultType: 'workflow', semanticPayload: { customer_id, note }, renderings: { md: '# a customer note' } },
        },
      }),
    },
  },
});

/** Three executions of one customer (the marker is the customer id and in the note), one of another customer. */
export async function runCustomerNotes(rt: Runtime, tenantId: string, marker: string): Promise<{ erased: string[]; kept: string }> {
  const erased: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await rt.execute({ intentType: 'crm.note', tenantId, sessionId: `s${i}`, parameters: { customer_id: marker, note: `call ${marker} back (${i})` } });
    erased.push(r.executionId);
  }
  const other = await rt.execute({ intentType: 'crm.note', tenantId, sessionId: 's0', parameters: { customer_id: 'another-customer', note: 'kept' } });
  return { erased, kept: other.executionId };
}

/** Every regular file under `dir` whose bytes contain `marker` (unreadable files are skipped, and counted). */
export async function filesHolding(dir: string, marker: string): Promise<{ found: string[]; scanned: number; unreadable: number }> {
  const needle = Buffer.from(marker, 'utf8');
  const out = { found: [] as string[], scanned: 0, unreadable: 0 };
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      out.unreadable++;
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        try {
          const bytes = await readFile(p);
          out.scanned++;
          if (bytes.includes(needle)) out.found.push(p);
        } catch {
          out.unreadable++;
        }
      }
    }
  };
  await walk(dir);
  return out;
}
