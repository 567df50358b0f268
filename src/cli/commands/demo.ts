import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Command } from 'commander';
import type { CompiledPolicy } from '../../policy/compile-policy.ts';
import type { Runtime } from '../../runtime/create-runtime.ts';
import type { ExecutionResult } from '../../execution/execution-result.ts';
import { formatTable } from '../output.ts';
import { packagePath } from '../../package/package-root.ts';
import { openRuntime } from '../lazy-runtime.ts';

const root = (path: string) => packagePath(path);
const example = async (name: string) => JSON.parse(await readFile(root(`examples/${name}.json`), 'utf8')) as Record<string, unknown>;

/**
 * The demo: the example intents under three policies — the platform default
 * (derived artifacts discarded), the plan's MVP override (all persisted) and
 * a session-cache policy — printed as one table of decisions and reasons.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the example intents under the default, MVP and session-cache policies and print every decision')
    .option('--tenant <id>', 'tenant for the demo intents', 'demo')
    .option('--json', 'print the execution results as JSON')
    .action(async (opts, cmd: Command) => {
      // Loaded when the command runs, not to build the program.
      const [{ compileMaterializationPolicy }, { loadSolutionConfig, parseSolutionConfig }, { withRuntime }] = await Promise.all([
        import('../../policy/compile-policy.ts'), import('../../policy/solution-config.ts'), openRuntime(),
      ]);
      const policies: [string, CompiledPolicy][] = [
        ['default', compileMaterializationPolicy()],
        ['mvp', compileMaterializationPolicy({ solution: await loadSolutionConfig(relative(process.cwd(), root('config/mvp_materialization_policy.yaml'))) })],
        ['session-cache', compileMaterializationPolicy({
          solution: parseSolutionConfig({
            name: 'session-cache',
            materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '15m' }, sop: 'cache' },
          }),
        })],
      ];
      const results = await withRuntime(cmd.optsWithGlobals(), async (rt) => {
        const all: [string, ExecutionResult][] = [];
        for (const [name, policy] of policies) {
          for (const r of await runScenario(rt, opts.tenant, name, policy)) all.push([name, r]);
        }
        await rt.flushEvents();
        return all;
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(results.map(([policy, result]) => ({ policy, result })), null, 2)}\n`);
        return;
      }
      const rows = results.flatMap(([policy, r]) =>
        r.artifacts.map((a) => [
          policy, r.intentType, a.key, a.resultType, a.decision, a.layer,
          a.artifactId ?? (a.expiresAt ? `cached until ${a.expiresAt.slice(11, 19)}Z` : '-'), a.reason,
        ]),
      );
      process.stdout.write(
        `SymphAIny demo — tenant '${opts.tenant}'. Platform meaning (intent, journey, transitions, decisions) is always recorded;\n` +
          `renderings are persisted, cached or discarded by policy:\n\n` +
          formatTable(['policy', 'intent', 'artifact', 'type', 'decision', 'layer', 'kept as', 'reason'], rows, 100) +
          `\n\n${results.length} executions, ${rows.length} artifacts. Look closer:\n` +
          `  npx symphainy artifacts list --tenant ${opts.tenant}\n` +
          `  npx symphainy wal list --execution ${results.at(-1)?.[1].executionId ?? 'ID'}\n` +
          `  npx symphainy cache get --tenant ${opts.tenant}\n` +
          `  npx symphainy policy explain --config config/mvp_materialization_policy.yaml --result-type workflow\n`,
      );
    });
}

/** Every example intent once; later intents name earlier artifacts, so lineage shows up when they are persisted. */
async function runScenario(rt: Runtime, tenantId: string, policyName: string, policy: CompiledPolicy): Promise<ExecutionResult[]> {
  const sessionId = `demo-${policyName}`;
  const run = (intentType: string, parameters: Record<string, unknown>) =>
    rt.execute({ intentType, tenantId, sessionId, parameters }, { policy });
  // Ids of artifacts that were persisted (under the default policy there are none to name).
  const ids = (pairs: Record<string, [ExecutionResult, string]>) =>
    Object.fromEntries(
      Object.entries(pairs).flatMap(([param, [r, key]]) => {
        const id = r.artifacts.find((a) => a.key === key)?.artifactId;
        return id ? [[param, id]] : [];
      }),
    );

  const wf = await run('journey.sop_to_workflow', await example('sop_to_workflow'));
  const workflow = wf.artifacts.find((a) => a.key === 'workflow')?.semanticPayload as { title: string; steps: { action: string }[] };
  const sop = await run('journey.workflow_to_sop', {
    workflow: { title: workflow.title, steps: workflow.steps.map((step) => step.action) },
    ...ids({ workflow_artifact_id: [wf, 'workflow'] }),
  });
  const roadmap = await run('outcomes.create_roadmap', await example('create_roadmap'));
  const poc = await run('outcomes.create_poc', await example('create_poc'));
  const blueprint = await run('outcomes.create_blueprint', await example('create_blueprint'));
  const { name, summary } = await example('compose_solution');
  const solution = await run('solution.compose', {
    name,
    ...(summary ? { summary } : {}),
    ...ids({ roadmap_artifact_id: [roadmap, 'roadmap'], poc_artifact_id: [poc, 'poc'], blueprint_artifact_id: [blueprint, 'blueprint'] }),
  });
  return [wf, sop, roadmap, poc, blueprint, solution];
}
