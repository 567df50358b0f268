import { RealmTimeoutError } from '../errors/index.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import type { Intent } from '../intent/intent.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import type { DurableRun, Suspension } from './durable-run.ts';

/** What running a handler needs: the runtime's shutdown signal (aborted when it closes). */
export type HandlerDeps = { readonly shutdownSignal: AbortSignal };

/**
 * Runs a realm's handler with its {@link ExecutionContext}: no transaction
 * open and no storage handle. Rejects with RealmTimeoutError after
 * `timeoutMs` milliseconds, or with the shutdown reason when the runtime
 * closes; either way the handler's `signal` is aborted so it can stop.
 * Resolves with a {@link Suspension} when the handler reaches a wait
 * (`durable`'s sleep, waitFor, approval) with nothing to return yet.
 */
export async function runHandler(
  d: HandlerDeps, entry: RegisteredIntent, params: unknown, intent: Intent, executionId: string, timeoutMs: number, durable: DurableRun,
): Promise<unknown | Suspension> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onShutdown: (() => void) | undefined;
  // Stop waiting at the timeout or when the runtime closes; the handler is told through its signal.
  const stopped = new Promise<never>((_, reject) => {
    const stop = (err: unknown) => {
      controller.abort(err);
      reject(err);
    };
    timer = setTimeout(() => stop(new RealmTimeoutError(intent.intentType, timeoutMs)), timeoutMs);
    onShutdown = () => stop(d.shutdownSignal.reason);
    if (d.shutdownSignal.aborted) onShutdown();
    else d.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  });
  const context: ExecutionContext = {
    executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId,
    sessionId: intent.sessionId, realm: entry.realm, signal: controller.signal, deadline: Date.now() + timeoutMs,
    step: (name, fn, options) => durable.step(name, fn, options),
    sleep: (duration) => durable.sleep(duration),
    waitFor: (name, options) => durable.waitFor(name, options),
    approval: (name, options) => durable.approval(name, options),
  };
  Object.freeze(context);
  try {
    return await Promise.race([Promise.resolve().then(() => entry.definition.handler(params, context)), stopped, durable.suspended]);
  } finally {
    clearTimeout(timer);
    if (onShutdown) d.shutdownSignal.removeEventListener('abort', onShutdown);
  }
}
