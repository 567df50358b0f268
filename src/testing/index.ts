/**
 * `symphainy/testing`: for a realm author's own test suite — a runtime that
 * keeps everything in memory and logs nothing, and the named fault points
 * where a test can fail or pause the runtime's write path.
 *
 * @example
 * ```ts
 * import { createMemoryRuntime, FaultPoint } from 'symphainy/testing';
 * const runtime = await createMemoryRuntime({ realms: [myRealm] });
 * const failing = await createMemoryRuntime({
 *   realms: [myRealm],
 *   faults: { [FaultPoint.BEFORE_COMPLETE_COMMIT]: () => { throw new Error('injected'); } },
 * });
 * ```
 * @module
 */
import { defaultLogger } from '../runtime/logger.ts';
import { createRuntime, type Runtime } from '../runtime/create-runtime.ts';
import type { RuntimeOptions } from '../runtime/runtime-options.ts';

export { FaultPoint, type Faults } from '../execution/fault-points.ts';

/**
 * `createRuntime` with an in-memory database and a temporary blob folder
 * (removed by `close()`), and a silent logger unless `options.logger` is
 * given. Every other option is passed through; a `db` or `databaseUrl`
 * option still wins over memory, as in `createRuntime`.
 * @throws as createRuntime
 */
export function createMemoryRuntime(options: Omit<RuntimeOptions, 'memory' | 'dataDir'> = {}): Promise<Runtime> {
  return createRuntime({ logger: defaultLogger('silent'), ...options, memory: true });
}
