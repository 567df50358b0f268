import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isSymphainyError } from '../errors/index.ts';
import { registerDemo } from './commands/demo.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerMcp } from './commands/mcp.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerRun } from './commands/run.ts';
import { registerWorker } from './commands/worker.ts';
import { registerServe } from './commands/serve.ts';
import { registerTenants } from './commands/tenants.ts';
import { registerErase } from './commands/erase.ts';
import { registerKeys } from './commands/keys.ts';
import { addBackendOptions } from './backend-options.ts';
import { registerUsage } from './commands/usage.ts';
import { registerApprovals } from './commands/approvals.ts';
import { registerCheckpoints } from './commands/checkpoints.ts';
import { quietOnClosedStdout } from './output.ts';
import { checkTenantFlags } from './tenant-flag.ts';
import { packagePath } from '../package/package-root.ts';

/**
 * Builds the `symphainy` command. Thin: parses arguments, calls the public API, prints.
 * Start-up stays cheap: the command modules declare names, flags and help
 * only; each action imports what it runs (the runtime, the database, the HTTP
 * server) when it runs, so `--help` or `policy validate` load none of them.
 */
export function buildProgram(): Command {
  const program = addBackendOptions(
    checkTenantFlags(new Command('symphainy').description('SymphAIny runtime: intents, realms, and persistence as a governed decision')),
  )
    .version(packageVersion(), '--version', 'print the version of symphainy')
    .showHelpAfterError('(run with --help for usage)')
    // Commander's own refusals (unknown option, missing or extra argument, a flag's bad value) in
    // the same `error [CODE]: message` form as every other error; subcommands inherit this.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error [SYM_ERR_CONFIG]: ')) })
    .exitOverride();
  registerRun(program);
  registerWorker(program);
  registerServe(program);
  registerTenants(program);
  registerErase(program);
  registerKeys(program);
  registerDemo(program);
  registerPolicy(program);
  registerInspect(program);
  registerMcp(program);
  registerUsage(program);
  registerApprovals(program);
  registerCheckpoints(program);
  return program;
}

/** The package's version, from its package.json (read once, when the program is built). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}

/** Runs the CLI. Errors are printed as `error [CODE]: message` — never a stack trace (set SYMPHAINY_DEBUG=1 for one). */
export async function main(argv: readonly string[]): Promise<void> {
  quietOnClosedStdout();
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isSymphainyError(err)) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`);
      process.exitCode = err.statusCode < 500 ? 2 : 1;
    } else {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
    if (process.env.SYMPHAINY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
}
