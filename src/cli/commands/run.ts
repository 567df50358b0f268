import type { Command } from 'commander';
import type { IntentInput } from '../../intent/intent.ts';
import type { ExecutionResult } from '../../execution/execution-result.ts';
import { MAX_TIMER_SECONDS } from '../../policy/duration.ts';
import { durationMillis, readParams } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';


/** The options `run` and `submit` share: who asks, with what, under which realms and config. */
function intentCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .argument('<intentType>', 'intent type, e.g. journey.sop_to_workflow')
    .requiredOption('--tenant <id>', 'tenant the intent belongs to')
    .option('--session <id>', 'session id', 'default')
    .option('--params <json>', 'parameters as a JSON object')
    .option('--params-file <file>', 'parameters from a JSON file')
    .option('--config <file>', 'solution config (materialization policy YAML)')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)')
    .option('--intent-id <id>', 'intent id (the same id again returns the recorded execution)')
    .option('--solution <id>', "the solution the intent comes from (picks its solution config from the platform policy's solutions)")
    .option('--json', 'print the result as JSON');
}

async function intentFrom(intentType: string, opts: Record<string, string | undefined>): Promise<IntentInput> {
  return {
    intentType,
    tenantId: opts.tenant!,
    sessionId: opts.session!,
    parameters: await readParams(opts),
    ...(opts.intentId ? { intentId: opts.intentId } : {}),
    ...(opts.solution ? { solutionId: opts.solution } : {}),
  };
}

export function registerRun(program: Command): void {
  intentCommand(program, 'run', 'execute one intent and show what was persisted, cached or discarded, and why')
    .option('--timeout <duration>', 'realm handler timeout, e.g. 30s or 1500ms; bare numbers are milliseconds (overrides the intent\'s own)', durationMillis('--timeout', { plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS }))
    .action(async (intentType: string, opts, cmd: Command) => {
      const intent = await intentFrom(intentType, opts);
      const { withRuntime } = await openRuntime();
      const result = await withRuntime({ ...cmd.optsWithGlobals(), realm: opts.realm, config: opts.config }, (runtime) =>
        runtime.execute(intent, opts.timeout ? { timeoutMs: opts.timeout } : {}),
      {}, { tracing: true });
      if (opts.json) printJson(result);
      else printResult(result);
      if (result.status === 'failed') process.exitCode = 1;
    });

  intentCommand(program, 'submit', 'queue one intent for a worker and print its execution id (see `worker`, `executions show --wait`)')
    .action(async (intentType: string, opts, cmd: Command) => {
      const intent = await intentFrom(intentType, opts);
      const { withRuntime } = await openRuntime();
      const submitted = await withRuntime({ ...cmd.optsWithGlobals(), realm: opts.realm, config: opts.config }, (runtime) =>
        runtime.submit(intent),
      {}, { tracing: true });
      if (opts.json) printJson(submitted);
      else {
        process.stdout.write(`${submitted.executionId}\n`);
        const note = submitted.duplicate ? `intent ${submitted.intentId} was submitted before; its execution is ${submitted.status}` : 'queued';
        process.stderr.write(`${note}: wait with  symphainy executions show ${submitted.executionId} --wait\n`);
      }
    });
}

function printResult(r: ExecutionResult): void {
  process.stdout.write(`execution ${r.executionId}: ${r.status}  (intent ${r.intentType}, tenant ${r.tenantId}, policy ${r.policyVersion})\n`);
  if (r.error) process.stdout.write(`error [${r.error.code}]: ${r.error.message}\n`);
  if (r.artifacts.length === 0) return;
  printTable(
    ['artifact', 'type', 'decision', 'layer', 'kept as', 'reason'],
    r.artifacts.map((a) => [
      a.key, a.resultType, a.decision, a.layer,
      a.stored === false ? `NOT STORED: ${a.storageError}` : (a.artifactId ?? (a.expiresAt ? `cache until ${a.expiresAt}` : '-')),
      a.reason,
    ]),
    90,
  );
}
