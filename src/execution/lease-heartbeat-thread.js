// Renews execution leases from a thread of its own, over a connection of its
// own, so a lease holds while the main thread is busy: a realm handler that
// blocks the event loop longer than the lease is not taken over by another
// worker (which would throw its result away). Each lease is renewed only
// until its holder's deadline (the handler's timeout plus one lease): a
// handler stuck for good loses its lease like a dead worker, and the retry
// policy counts that attempt. Plain JavaScript: a thread does not inherit a
// TypeScript loader registered at run time.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { url } = workerData;
/** executionId -> { owner, attempt, leaseMs, until, renewedAt } */
const held = new Map();
let client = null;
let busy = false;

parentPort.on('message', (m) => {
  if (m.type === 'hold') held.set(m.executionId, { ...m, renewedAt: Date.now() });
  else if (m.type === 'release') held.delete(m.executionId);
  else if (m.type === 'close') void close();
});

async function connection() {
  if (client) return client;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A dropped connection is replaced at the next tick; it must not kill the thread.
  c.on('error', () => {
    if (client === c) client = null;
  });
  await c.connect();
  client = c;
  return c;
}

async function renew() {
  if (busy || held.size === 0) return;
  busy = true;
  const now = Date.now();
  // Each lease is renewed every third of its length, until its holder's deadline.
  const due = [...held.entries()].filter(([, h]) => h.until > now && now - h.renewedAt >= h.leaseMs / 3);
  try {
    if (due.length === 0) return;
    const c = await connection();
    await c.query('BEGIN');
    try {
      // Row-level security: every tenant's rows (the claims span tenants).
      await c.query("SELECT set_config('symphainy.tenant', '*', true)");
      const rows = await c.query(
        `UPDATE symphainy.executions e SET lease_expires_at = now() + h.ms * interval '1 millisecond'
           FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS h(id, owner, attempt, ms)
          WHERE e.execution_id = h.id AND e.lease_owner = h.owner AND e.attempts = h.attempt AND e.status = 'running'
         RETURNING e.execution_id`,
        [due.map(([id]) => id), due.map(([, h]) => h.owner), due.map(([, h]) => h.attempt), due.map(([, h]) => h.leaseMs)],
      );
      await c.query('COMMIT');
      const kept = new Set(rows.rows.map((r) => r.execution_id));
      for (const id of kept) {
        const h = held.get(id);
        if (h) h.renewedAt = now;
      }
      const lost = due.map(([id]) => id).filter((id) => !kept.has(id) && held.has(id));
      if (lost.length > 0) parentPort.postMessage({ type: 'lost', executionIds: lost });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } catch (err) {
    // Tried again at the next third of each lease, not at every tick.
    for (const [, h] of due) h.renewedAt = now;
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    const c = client;
    client = null;
    await c?.end().catch(() => {});
  } finally {
    busy = false;
  }
}

const timer = setInterval(() => void renew(), 50);

async function close() {
  clearInterval(timer);
  const c = client;
  client = null;
  await c?.end().catch(() => {});
  parentPort.close();
}
