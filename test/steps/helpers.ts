/** Helpers of the durable steps suites (not a test file). */
import { setTimeout as sleep } from 'node:timers/promises';
import { ANY_TENANT, type Db } from '../../src/index.ts';

/** Polls `check` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** The journal rows of an execution still in the store. */
export async function journalRows(db: Db, executionId: string): Promise<{ seq: number; name: string; kind: string; status: string }[]> {
  const rows = await db.scoped(ANY_TENANT).query<{ seq: number; name: string; kind: string; status: string }>(
    'SELECT seq, name, kind, status FROM symphainy.execution_steps WHERE execution_id = $1 ORDER BY seq', [executionId]);
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** The lease columns of an execution. */
export async function leaseOf(db: Db, executionId: string): Promise<{ status: string; leaseExpiresAt: unknown; availableAt: unknown }> {
  const rows = await db.scoped(ANY_TENANT).query<{ status: string; lease_expires_at: unknown; available_at: unknown }>(
    'SELECT status, lease_expires_at, available_at FROM symphainy.executions WHERE execution_id = $1', [executionId]);
  const r = rows[0]!;
  return { status: r.status, leaseExpiresAt: r.lease_expires_at, availableAt: r.available_at };
}
