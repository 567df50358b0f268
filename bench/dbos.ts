/**
 * DBOS Transact on the same PostgreSQL server, for comparison: a one-step
 * workflow returning the same ~1 KB object as the runtime's bench realm.
 * Runs as a child process (DBOS keeps global state: one launch per process).
 *
 *   node --import tsx bench/dbos.ts '{"url": "...", "c1Total": 200, "c64Total": 1000, "rounds": 3}'
 */
import { randomUUID } from 'node:crypto';
import { benchPayload } from './executions.ts';
import { runAsChild, measure, percentile, runConcurrent, type Measure } from './stats.ts';

export interface DbosFigures {
  readonly version: string;
  readonly c1: { execPerSec: Measure; p50Ms: Measure; p99Ms: Measure };
  readonly c64: { execPerSec: Measure; p50Ms: Measure; p99Ms: Measure };
}

interface DbosArgs {
  readonly url: string;
  readonly c1Total: number;
  readonly c64Total: number;
  readonly rounds: number;
}

async function main(args: DbosArgs): Promise<DbosFigures> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const { readFileSync } = await import('node:fs');
  const pkg = new URL('../node_modules/@dbos-inc/dbos-sdk/package.json', import.meta.url);
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  DBOS.setConfig({ name: 'symphainy-bench', systemDatabaseUrl: args.url, logLevel: 'error' });
  const produce = async (n: number, id: string) => benchPayload(n, id);
  const workflow = DBOS.registerWorkflow(
    async (n: number) => DBOS.runStep(() => produce(n, DBOS.workflowID ?? randomUUID()), { name: 'produce' }),
    { name: 'benchWorkflow' },
  );
  await DBOS.launch();
  try {
    let n = 0;
    const once = async () => {
      const out = await workflow(n++);
      if (typeof out !== 'object' || out === null || (out as { kind?: string }).kind !== 'bench-report') throw new Error('unexpected workflow result');
    };
    const rounds = async (total: number, concurrency: number) => {
      await runConcurrent(Math.max(10, total / 10), concurrency, once); // warm-up
      const out = [];
      for (let r = 0; r < args.rounds; r++) {
        const { wallMs, latenciesMs } = await runConcurrent(total, concurrency, once);
        out.push({ execPerSec: (total / wallMs) * 1000, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99) });
      }
      return {
        execPerSec: measure(out.map((o) => o.execPerSec)),
        p50Ms: measure(out.map((o) => o.p50Ms)),
        p99Ms: measure(out.map((o) => o.p99Ms)),
      };
    };
    const c1 = await rounds(args.c1Total, 1);
    const c64 = await rounds(args.c64Total, 64);
    return { version, c1, c64 };
  } finally {
    await DBOS.shutdown();
  }
}

runAsChild<DbosArgs, unknown>(import.meta.url, main);
