import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import { usageSince } from '../../execution/usage-since.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';

/**
 * `symphainy usage [--tenant ID] [--execution ID] [--since 7d|today|ISO]`: the
 * model usage recorded with `ctx.recordUsage` — tokens and cost (US dollars),
 * overall and per model. Without `--tenant`, every tenant's.
 */
export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('model usage recorded by executions (ctx.recordUsage): tokens and cost in US dollars, overall and per model')
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--execution <id>', 'only this execution')
    .option('--since <duration>', "a window back from now (e.g. 7d, 12h), 'today' (the database's UTC day) or an ISO 8601 time")
    .option('--json', 'print the totals as JSON')
    .action(async (opts: { tenant?: string; execution?: string; since?: string; json?: boolean }, cmd: Command) => {
      const since = opts.since === undefined ? undefined : sinceOf(opts.since);
      const filter = { ...(opts.execution ? { executionId: opts.execution } : {}), ...(since ? { since } : {}) };
      const { withRuntime, scopeOf } = await openRuntime();
      const summary = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.modelWork.usage(scopeOf(opts.tenant), filter));
      if (opts.json) return printJson(summary);
      const row = (name: string, t: typeof summary.totals) => [name, t.calls, t.inputTokens, t.outputTokens, t.totalTokens, t.costUsd.toFixed(6)];
      printTable(['model', 'calls', 'input tokens', 'output tokens', 'total tokens', 'cost (USD)'], [
        ...summary.byModel.map((m) => row(m.model, m)),
        row('(all)', summary.totals),
      ]);
    });
}

/** `--since` through the parser `GET /v1/usage?since=` uses too, refused naming the flag. */
function sinceOf(value: string): string {
  try {
    return usageSince(value);
  } catch (err) {
    throw new ConfigError(`--since ${(err as Error).message}`);
  }
}
