import { ConfigError } from '../errors/index.ts';
import { parseDuration } from '../policy/duration.ts';
import type { RuntimeConfigFile } from '../runtime/runtime-config.ts';

/** Environment variable of the drain timeout (a duration such as `45s`). */
export const DRAIN_TIMEOUT_ENV = 'SYMPHAINY_DRAIN_TIMEOUT';

/**
 * Milliseconds `serve` and `worker` wait, after SIGTERM/SIGINT, for in-flight
 * requests and claimed executions before the runtime is closed under them
 * (what still runs is then cancelled and recorded SYM_ERR_RUNTIME_CLOSED).
 * The flag wins over the environment, which wins over `drain_timeout`;
 * the default is the realm timeout plus 5 s, so a handler that is allowed
 * to finish can finish.
 */
export function drainTimeoutMs(flag: number | undefined, file: RuntimeConfigFile | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (flag !== undefined) return flag;
  const fromEnv = env[DRAIN_TIMEOUT_ENV]?.trim();
  if (fromEnv) {
    try {
      return parseDuration(fromEnv) * 1000;
    } catch (err) {
      throw new ConfigError(`${DRAIN_TIMEOUT_ENV}: ${(err as Error).message}`);
    }
  }
  return file?.drainTimeoutMs ?? (file?.realmTimeoutMs ?? 30_000) + 5000;
}

/** Resolves with `'done'` when `work` settles, or `'timeout'` after `ms`. */
export async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work.then(() => 'done' as const, () => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
