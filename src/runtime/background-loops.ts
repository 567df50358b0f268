import type { Logger } from 'pino';
import type { CacheStore } from '../cache/cache-store.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { CompiledRuntimeOptions } from '../options/compile-runtime-options.ts';
import type { ArtifactLifecycle } from '../retention/artifact-lifecycle.ts';
import type { ExecutionLifecycleManager } from '../execution/lifecycle-manager.ts';

/** What the runtime's timers act on. */
export interface BackgroundLoopParts {
  readonly manager: ExecutionLifecycleManager;
  readonly lifecycle: ArtifactLifecycle;
  readonly cache: CacheStore;
  readonly relay: OutboxRelay;
  readonly logger: Logger;
  /** The database's time (every deadline is). */
  readonly dbNow: () => Date;
  /** A server shared with other processes (PostgreSQL), not the embedded store. */
  readonly sharedStore: boolean;
  /** Event sinks beside the in-process bus (NATS, `eventSinks`). */
  readonly externalSinks: number;
}

/** The runtime's background loops, stopped together by `close()`. */
export interface BackgroundLoops {
  stop(): void;
}

/**
 * Starts the loops a runtime runs while open, each an unref'd timer that
 * logs and carries on when a round fails:
 * - on a shared server, recovery of direct executions whose lease ran out
 *   (every half lease, 100 ms to 5 s);
 * - retention sweeps every `sweepIntervalSeconds` (none unless set);
 * - cache purges every `cachePurgeIntervalSeconds` (one at once);
 * - outbox checks every `relayPollIntervalMs` (default: 1 s with a shared
 *   server or an external sink, where other processes commit events too).
 */
export async function startBackgroundLoops(p: BackgroundLoopParts, o: CompiledRuntimeOptions): Promise<BackgroundLoops> {
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, round: () => void) => {
    const timer = setInterval(round, ms);
    timer.unref();
    timers.push(timer);
  };
  if (p.sharedStore) {
    every(Math.min(5000, Math.max(100, Math.floor(o.leaseMs / 2))), () =>
      void p.manager.recoverInterrupted('expired').catch((err) => p.logger.warn({ err }, 'recovering interrupted executions failed')));
  }
  const purge = () => p.cache.purgeExpired(p.dbNow()).catch((err) => p.logger.warn({ err }, 'cache purge failed'));
  await purge();
  if (o.sweepIntervalSeconds !== undefined) {
    every(o.sweepIntervalSeconds * 1000, () => void p.lifecycle.sweep().catch((err) => p.logger.warn({ err }, 'retention sweep failed')));
  }
  every(o.cachePurgeIntervalSeconds * 1000, () => void purge());
  p.relay.kick(); // deliver anything committed but not yet published (by this or a previous process)
  const relayPollMs = o.relayPollIntervalMs ?? (p.sharedStore || p.externalSinks > 0 ? 1000 : 0);
  if (relayPollMs > 0) every(relayPollMs, () => p.relay.kick());
  return { stop: () => timers.forEach(clearInterval) };
}
