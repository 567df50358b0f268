/** Worker processes for the fault suite: started, watched, restarted when they die (not a test file). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ANY_TENANT, type Db } from '../../src/index.ts';

export const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/symphainy.js');
export const faultRealm = join(root, 'test/fixtures/fault-realm.mjs');

export type WorkerProcess = ChildProcess & { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> };

/** `symphainy worker` as a direct child (so a signal reaches node itself). `store`: `--data-dir DIR` or `--database-url URL`. */
export function startWorker(store: string[], extra: string[], faultLog: string): WorkerProcess {
  const child = spawn(process.execPath, [bin, ...store, 'worker', '--realm', faultRealm, '--poll-interval', '1', ...extra], {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'error', SYMPHAINY_FAULT_LOG: faultLog },
  }) as WorkerProcess;
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr = (stderr + b).slice(-4000)));
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') process.stderr.write(`worker exited ${code} ${signal}:\n${stderr}\n`);
    resolve({ code, signal });
  }));
  return child;
}

/** Handler runs per execution id, from the fault log. */
export async function sideEffects(faultLog: string): Promise<Map<string, number>> {
  const text = await readFile(faultLog, 'utf8').catch(() => '');
  const runs = new Map<string, number>();
  for (const line of text.split('\n').filter(Boolean)) {
    const { executionId } = JSON.parse(line) as { executionId: string };
    runs.set(executionId, (runs.get(executionId) ?? 0) + 1);
  }
  return runs;
}

export interface Tally {
  acknowledged: number;
  lost: string[];
  duplicated: string[];
  stuck: string[];
  byStatus: Record<string, number>;
}

/**
 * Counts, for the acknowledged executions: lost (no row), duplicated
 * (completed more than once, or more handler runs than attempts), stuck
 * (not completed, failed or dead).
 */
export async function tally(db: Db, acknowledged: readonly string[], faultLog: string): Promise<Tally> {
  const rows = await db.scoped(ANY_TENANT).query<{ execution_id: string; status: string; attempts: number; completions: string }>(
    `SELECT e.execution_id, e.status, e.attempts,
            (SELECT count(*) FROM symphainy.wal w WHERE w.execution_id = e.execution_id AND w.payload->>'to' = 'completed') AS completions
       FROM symphainy.executions e WHERE e.execution_id = ANY($1::text[])`,
    [acknowledged],
  );
  const found = new Map(rows.map((r) => [r.execution_id, r]));
  const runs = await sideEffects(faultLog);
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return {
    acknowledged: acknowledged.length,
    lost: acknowledged.filter((id) => !found.has(id)),
    duplicated: rows.filter((r) => Number(r.completions) > 1 || (runs.get(r.execution_id) ?? 0) > Number(r.attempts)).map((r) => r.execution_id),
    stuck: rows.filter((r) => !['completed', 'failed', 'dead'].includes(r.status)).map((r) => r.execution_id),
    byStatus,
  };
}
