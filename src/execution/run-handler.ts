import { RealmTimeoutError } from '../errors/index.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import type { Intent } from '../intent/intent.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';

/** What running a handler needs: the runtime's shutdown signal (aborted when it closes). */
export type HandlerDeps = { readonly shutdownSignal: AbortSignal };

/**
 * Runs a realm's handler with its {@link ExecutionContext}: no transaction
 * open and no storage handle. Rejects with RealmTimeoutError after
 * `timeoutMs` milliseconds, or with the shutdown reason when the runtime
 * closes; either way the handler's `signal` is aborted so it can stop.
 */
export async function runHandler(
  d: HandlerDeps, entry: RegisteredIntent, params: unknown, intent: Intent, executionId: string, timeoutMs: number,
): Promise<unknown> {
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
  const context: ExecutionContext = Object.freeze({
    executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId,
    sessionId: intent.sessionId, realm: entry.realm, signal: controller.signal, deadline: Date.now() + timeoutMs,
  });
  try {
    return await Promise.race([Promise.resolve().then(() => entry.definition.handler(params, context)), stopped]);
  } finally {
    clearTimeout(timer);
    if (onShutdown) d.shutdownSignal.removeEventListener('abort', onShutdown);
  }
}
