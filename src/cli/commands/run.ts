import type { Command } from 'commander';
import type { ExecutionResult } from '../../runtime/execution-result.ts';
import { positiveInt, readParams } from '../input.ts';
import { withRuntime } from '../open-runtime.ts';
import { printJson, printTable } from '../output.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('execute one intent and show what was persisted, cached or discarded, and why')
    .argument('<intentType>', 'intent type, e.g. journey.sop_to_workflow')
    .requiredOption('--tenant <id>', 'tenant the intent belongs to')
    .option('--session <id>', 'session id', 'default')
    .option('--params <json>', 'parameters as a JSON object')
    .option('--params-file <file>', 'parameters from a JSON file')
    .option('--config <file>', 'solution config (materialization policy YAML)')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)')
    .option('--intent-id <id>', 'intent id (re-running the same id returns the recorded result)')
    .option('--timeout <ms>', 'realm handler timeout in milliseconds (overrides the intent\'s own)', positiveInt('--timeout'))
    .option('--json', 'print the result as JSON')
    .action(async (intentType: string, opts, cmd: Command) => {
      const g = cmd.optsWithGlobals();
      const parameters = await readParams(opts);
      const result = await withRuntime(
        { ...g, realm: opts.realm, config: opts.config },
        (runtime) =>
          runtime.execute(
            {
              intentType,
              tenantId: opts.tenant,
              sessionId: opts.session,
              parameters,
              ...(opts.intentId ? { intentId: opts.intentId } : {}),
            },
            opts.timeout ? { timeoutMs: opts.timeout } : {},
          ),
      );
      if (opts.json) printJson(result);
      else printResult(result);
      if (result.status === 'failed') process.exitCode = 1;
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
