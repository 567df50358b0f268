import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';

/** Who decides from this shell: `cli:USER@HOST` (recorded in the WAL). */
function operator(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no user entry (a container): recorded as unknown
  }
  return `cli:${user}@${hostname()}`;
}

/**
 * `executions approve|reject ID NAME --reason …`, `executions signal ID NAME
 * --data JSON` and `executions approvals` (the inbox): for executions
 * waiting in `ctx.approval` and `ctx.waitFor`. Added to the `executions`
 * command (registered before this).
 */
export function registerApprovals(program: Command): void {
  const executions = program.commands.find((c) => c.name() === 'executions') ?? program.command('executions');
  for (const decision of ['approve', 'reject'] as const) {
    executions
      .command(decision)
      .argument('<executionId>')
      .argument('<name>', "the approval's name (ctx.approval(name))")
      .option('--tenant <id>', 'as this tenant')
      .option('--reason <text>', 'why (recorded in the WAL with who and when)')
      .option('--json', 'print the decision as JSON')
      .description(`${decision} an approval an execution waits for; it resumes on any worker`)
      .action(async (executionId: string, name: string, opts, cmd: Command) => {
        const { withRuntime, scopeOf } = await openRuntime();
        const r = await withRuntime(cmd.optsWithGlobals(), (rt) =>
          rt.decideApproval(executionId, name, { tenantId: scopeOf(opts.tenant) }, { decision, by: operator(), reason: opts.reason ?? null }));
        if (opts.json) return printJson(r);
        process.stdout.write(`approval '${name}' of execution ${executionId}: ${r.decision} by ${r.by} at ${r.at}\n`);
      });
  }
  executions
    .command('signal')
    .argument('<executionId>')
    .argument('<name>', "the signal's name (ctx.waitFor(name))")
    .option('--tenant <id>', 'as this tenant')
    .option('--data <json>', 'the signal\'s data, as JSON', (v: string) => {
      try {
        return JSON.parse(v) as unknown;
      } catch (err) {
        throw new ConfigError(`--data: not JSON: ${(err as Error).message}`);
      }
    })
    .option('--json', 'print the sent signal as JSON')
    .description('send a signal to an execution (kept until its ctx.waitFor consumes it)')
    .action(async (executionId: string, name: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const r = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        rt.signalExecution(executionId, name, { tenantId: scopeOf(opts.tenant) }, { data: opts.data ?? null, sentBy: operator() }));
      if (opts.json) return printJson(r);
      process.stdout.write(`signal '${name}' sent to execution ${executionId}${r.resumed ? '; it resumes' : ''}\n`);
    });
  executions
    .command('approvals')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON')
    .description('the approvals inbox: approvals executions wait for, oldest first')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.listApprovals({ tenantId: scopeOf(opts.tenant) }));
      if (opts.json) return printJson(rows);
      printTable(['execution id', 'tenant', 'intent type', 'approval', 'summary', 'waiting since', 'times out'],
        rows.map((a) => [a.executionId, a.tenantId, a.intentType, a.name, a.summary ?? '', a.waitingSince, a.timesOutAt ?? '-']));
    });
}
