/**
 * Durable steps: a 3-step execution of this runtime (run directly, on
 * PostgreSQL) against a 3-step DBOS workflow on the same server, and the
 * cost of one step in each (a 3-step run minus a run with fewer steps, per
 * step, at concurrency 1). Runs as a child process (DBOS keeps global state):
 *
 *   node --import tsx bench/steps.ts '{"kind": "symphainy", "url": "...", "total": 200, "rounds": 3}'
 */
import { measure, percentile, runAsChild, runConcurrent, type Measure } from './stats.ts';

export interface StepFigures {
  readonly kind: 'symphainy' | 'dbos';
  readonly version: string | null;
  /** Executions (workflows) of 3 steps per second, at concurrency 1 and 16. */
  readonly c1: { execPerSec: Measure; p50Ms: Measure };
  readonly c16: { execPerSec: Measure; p50Ms: Measure };
  /** Milliseconds one more step adds to an execution (p50, concurrency 1). */
  readonly stepMs: Measure;
}

interface StepArgs {
  readonly kind: 'symphainy' | 'dbos';
  readonly url: string;
  readonly total: number;
  readonly rounds: number;
}

const work = (n: number, step: string) => ({ n, step, at: n * 3 });

async function rounds(args: StepArgs, run3: () => Promise<void>, runFewer: () => Promise<void>, fewerSteps: number): Promise<Omit<StepFigures, 'kind' | 'version'>> {
  await runConcurrent(Math.max(10, args.total / 10), 4, run3); // warm-up
  const c1: { execPerSec: number; p50Ms: number }[] = [];
  const c16: { execPerSec: number; p50Ms: number }[] = [];
  const step: number[] = [];
  for (let r = 0; r < args.rounds; r++) {
    const three = await runConcurrent(args.total, 1, run3);
    const fewer = await runConcurrent(args.total, 1, runFewer);
    c1.push({ execPerSec: (args.total / three.wallMs) * 1000, p50Ms: percentile(three.latenciesMs, 50) });
    step.push((percentile(three.latenciesMs, 50) - percentile(fewer.latenciesMs, 50)) / (3 - fewerSteps));
    const wide = await runConcurrent(args.total, 16, run3);
    c16.push({ execPerSec: (args.total / wide.wallMs) * 1000, p50Ms: percentile(wide.latenciesMs, 50) });
  }
  const figures = (xs: { execPerSec: number; p50Ms: number }[]) => ({ execPerSec: measure(xs.map((x) => x.execPerSec)), p50Ms: measure(xs.map((x) => x.p50Ms)) });
  return { c1: figures(c1), c16: figures(c16), stepMs: measure(step) };
}

async function symphainy(args: StepArgs): Promise<StepFigures> {
  const { createRuntime, defineRealm } = await import('../src/index.ts');
  const { pino } = await import('pino');
  const realm = defineRealm({
    name: 'bench_steps',
    intents: {
      three: {
        async handler(p: { n: number }, ctx) {
          const a = await ctx.step('a', () => work(p.n, 'a'));
          const b = await ctx.step('b', () => work(a.n, 'b'));
          const c = await ctx.step('c', () => work(b.n, 'c'));
          return { artifacts: {}, events: [{ type: 'done', data: c }] };
        },
      },
      none: { handler: (p: { n: number }) => ({ artifacts: {}, events: [{ type: 'done', data: work(p.n, 'none') }] }) },
    },
  });
  const runtime = await createRuntime({ databaseUrl: args.url, realms: [realm], logger: pino({ level: 'silent' }) });
  let n = 0;
  const once = (type: string) => async () => {
    const r = await runtime.execute({ intentType: `bench_steps.${type}`, tenantId: 'bench', sessionId: 's', parameters: { n: n++ } });
    if (r.status !== 'completed') throw new Error(`bench execution ${r.status}: ${JSON.stringify(r.error)}`);
  };
  try {
    return { kind: 'symphainy', version: null, ...(await rounds(args, once('three'), once('none'), 0)) };
  } finally {
    await runtime.close();
  }
}

async function dbos(args: StepArgs): Promise<StepFigures> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const { readFileSync } = await import('node:fs');
  const version = (JSON.parse(readFileSync(new URL('../node_modules/@dbos-inc/dbos-sdk/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  DBOS.setConfig({ name: 'symphainy-bench-steps', systemDatabaseUrl: args.url, logLevel: 'error' });
  const three = DBOS.registerWorkflow(async (n: number) => {
    const a = await DBOS.runStep(async () => work(n, 'a'), { name: 'a' });
    const b = await DBOS.runStep(async () => work(a.n, 'b'), { name: 'b' });
    return DBOS.runStep(async () => work(b.n, 'c'), { name: 'c' });
  }, { name: 'threeSteps' });
  const one = DBOS.registerWorkflow(async (n: number) => DBOS.runStep(async () => work(n, 'a'), { name: 'a' }), { name: 'oneStep' });
  await DBOS.launch();
  let n = 0;
  try {
    const figures = await rounds(args, async () => void (await three(n++)), async () => void (await one(n++)), 1);
    return { kind: 'dbos', version, ...figures };
  } finally {
    await DBOS.shutdown();
  }
}

runAsChild<StepArgs, StepFigures>(import.meta.url, (args) => (args.kind === 'dbos' ? dbos(args) : symphainy(args)));
