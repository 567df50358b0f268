import type { Command } from 'commander';
import { ConfigError, isSymphainyError } from '../errors/index.ts';
import { checkTenantId } from '../tenants/tenant-registry.ts';

/**
 * A tenant id given on the command line or in the environment, checked by
 * the one tenant-id rule ({@link checkTenantId}); `source` names where it
 * came from (`--tenant`, `env SYMPHAINY_TENANT`).
 * @throws ConfigError (exit 2) naming the source, the id and the rule
 */
export function cliTenantId(value: unknown, source: string): string {
  try {
    checkTenantId(value);
    return value;
  } catch (err) {
    if (!isSymphainyError(err)) throw err;
    throw new ConfigError(`${source}: ${err.message}`);
  }
}

/**
 * Checks the `--tenant` of whichever command runs before its action does
 * anything (opens a store, serves MCP): a tenant id that every later call
 * would refuse is refused at start, on every command alike.
 */
export function checkTenantFlags(program: Command): Command {
  return program.hook('preAction', (_program, command) => {
    const tenant: unknown = command.opts().tenant;
    if (tenant !== undefined) cliTenantId(tenant, '--tenant');
  });
}
