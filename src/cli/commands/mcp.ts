import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import { SAFE_ID } from '../../intent/intent.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { cliTenantId } from '../tenant-flag.ts';

/** Environment variable of `mcp --tenant`. */
export const MCP_TENANT_ENV = 'SYMPHAINY_TENANT';

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('serve the intent types as MCP tools on stdin/stdout, each call one execution as the tenant')
    .option('--tenant <id>', `tenant every tool call runs as; env ${MCP_TENANT_ENV}`)
    .option('--session <id>', "session of calls that pass no '_session' argument (default mcp)")
    .option('--config <file>', 'solution config (materialization policy YAML)')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)')
    .action(async (opts, cmd: Command) => {
      // --tenant is checked with every command's (main.ts); the variable here, by the same rule.
      const fromEnv = process.env[MCP_TENANT_ENV]?.trim();
      if (opts.tenant === undefined && !fromEnv) throw new ConfigError(`mcp needs a tenant: --tenant <id> or ${MCP_TENANT_ENV}`);
      const tenantId: string = opts.tenant ?? cliTenantId(fromEnv, `env ${MCP_TENANT_ENV}`);
      // Every call's execution is in this session unless it names another: an id the runtime refuses would fail them all.
      if (opts.session !== undefined && !SAFE_ID.test(opts.session)) {
        throw new ConfigError(`--session: ${JSON.stringify(opts.session)} is not a valid session id (letters, digits, . _ - : @; at most 128; not starting with a dot)`);
      }
      // Loaded when the command runs, not to build the program.
      const [{ loadMcpServer }, { DEFAULT_MCP_SESSION }, { withRuntime }] = await Promise.all([
        import('../../mcp/load-mcp.ts'), import('../../mcp/tools.ts'), openRuntime(),
      ]);
      const session: string = opts.session ?? DEFAULT_MCP_SESSION;
      // Loaded before the store is opened: a missing SDK fails fast.
      const { serveMcpStdio } = await loadMcpServer('symphainy mcp');
      // SIGINT/SIGTERM stop serving; more of them while the runtime closes change nothing (a client
      // closing the stdio transport ends stdin, then sends SIGTERM if the process has not exited yet).
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const onSignal = () => stop();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await withRuntime({ ...cmd.optsWithGlobals(), realm: opts.realm, config: opts.config }, (runtime) =>
          serveMcpStdio({ runtime, tenantId, defaultSessionId: session }, stopped),
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
