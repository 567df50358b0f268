import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import type { Runtime } from '../runtime/runtime-api.ts';

/**
 * Checks shared by commands that change what is stored (`erase`, `keys
 * rotate`): a typo in a data dir or a tenant id must not pass as "nothing to
 * do" — an erasure that erased nothing reads like one that worked.
 */

/**
 * Refuses an embedded data dir that does not exist (opening it would create
 * it empty). A server URL (flag or `SYMPHAINY_DATABASE_URL`) is not checked here.
 * @throws ConfigError naming the command and the directory.
 */
export function requireExistingStore(command: string, globals: Record<string, unknown>): void {
  const dataDir = (globals.dataDir as string | undefined) ?? process.env.SYMPHAINY_DATA_DIR;
  const server = (globals.databaseUrl as string | undefined) ?? process.env.SYMPHAINY_DATABASE_URL;
  if (globals.memory || server) return;
  const dir = dataDir ?? './.symphainy';
  if (!existsSync(join(dir, 'db'))) throw new ConfigError(`${command}: the data dir ${dir} does not exist (or holds no database); nothing to ${command.split(' ').at(-1)}`);
}

/**
 * Refuses a tenant the store has no trace of: no tenant record, no
 * execution and no LangGraph checkpoint.
 * @throws ConfigError naming the command and the tenant.
 */
export async function requireKnownTenant(command: string, rt: Runtime, tenantId: string): Promise<void> {
  const known =
    (await rt.tenants.list()).some((t) => t.tenantId === tenantId) ||
    (await rt.listExecutionSummaries({ tenantId, limit: 1 })).length > 0 ||
    (await rt.checkpoints(tenantId).list({}, 1)).length > 0;
  if (!known) throw new ConfigError(`${command}: tenant '${tenantId}' is not known to this store (no tenant record, no executions, no checkpoints); check the id`);
}

/** Parses `KEY=VALUE` of a `--subject` flag. @throws ConfigError when either side is empty. */
export function parseSubjectFlag(value: unknown): { key: string; value: string } {
  const text = String(value);
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new ConfigError(`--subject must be KEY=VALUE (e.g. customer_id=42), got '${text}'`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}
