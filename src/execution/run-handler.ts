import { ConfigError, RealmTimeoutError } from '../errors/index.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import type { Intent } from '../intent/intent.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import type { BudgetGuard } from './budget-guard.ts';
import type { DurableRun, Suspension } from './durable-run.ts';
import type { ExecutionStreams } from './execution-stream.ts';
import { checkUsage } from './usage-input.ts';
import type { Context } from '@opentelemetry/api';
import { inSpan, parentContext, SpanAttr, startSpan, usageAttributes } from '../telemetry/execution-spans.ts';

/**
 * What running a handler needs: the runtime's shutdown signal (aborted when
 * it closes); the budget guard and the streams behind `ctx.recordUsage` and
 * `ctx.emit` (without them, those reject with ConfigError).
 */
export type HandlerDeps = {
  readonly shutdownSignal: AbortSignal;
  readonly budgetGuard?: BudgetGuard | undefined;
  readonly streams?: ExecutionStreams | undefined;
};

/**
 * Runs a realm's handler with its {@link ExecutionContext}: no transaction
 * open and no storage handle. Rejects with RealmTimeoutError after
 * `timeoutMs` milliseconds, or with the shutdown reason when the runtime
 * closes; either way the handler's `signal` is aborted so it can stop.
 * Resolves with a {@link Suspension} when the handler reaches a wait
 * (`durable`'s sleep, waitFor, approval) with nothing to return yet.
 * Rejects with the BudgetExceededError of a budget that stopped the
 * execution, whatever the handler did after it.
 */
export async function runHandler(
  d: HandlerDeps, entry: RegisteredIntent, params: unknown, intent: Intent, executionId: string, timeoutMs: number, durable: DurableRun,
  traceContext: Context = parentContext(),
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
  const at = { executionId, intentId: intent.intentId, tenantId: intent.tenantId, intentType: intent.intentType };
  const context: ExecutionContext = Object.freeze({
    executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId,
    sessionId: intent.sessionId, realm: entry.realm, signal: controller.signal, deadline: Date.now() + timeoutMs,
    step: (name, fn, options) => durable.step(name, fn, options),
    sleep: (duration) => durable.sleep(duration),
    waitFor: (name, options) => durable.waitFor(name, options),
    approval: (name, options) => durable.approval(name, options),
    recordUsage: async (usage: unknown) => {
      const checked = checkUsage(usage);
      if (!d.budgetGuard) throw new ConfigError('recordUsage: this runtime has no model usage store');
      // GenAI semantic conventions: the model and its tokens (no prompt, no completion).
      const span = startSpan(`usage ${checked.model}`, traceContext, { ...usageAttributes(checked), [SpanAttr.EXECUTION_ID]: executionId });
      await inSpan(span, traceContext, () => d.budgetGuard!.record(at, checked));
    },
    emit: async (chunk: unknown) => {
      if (!d.streams) throw new ConfigError('emit: this runtime has no stream store');
      await d.streams.emit({ ...at, sessionId: intent.sessionId, parameters: intent.parameters }, chunk);
    },
  } satisfies ExecutionContext);
  let result: unknown;
  try {
    result = await Promise.race([Promise.resolve().then(() => entry.definition.handler(params, context)), stopped, durable.suspended]);
  } catch (err) {
    // A budget that stopped the execution is why it failed, whatever the handler threw after it.
    throw d.budgetGuard?.takeExceeded(executionId) ?? err;
  } finally {
    clearTimeout(timer);
    if (onShutdown) d.shutdownSignal.removeEventListener('abort', onShutdown);
  }
  // A handler that caught its BudgetExceededError still fails: the budget decided.
  const over = d.budgetGuard?.takeExceeded(executionId);
  if (over) throw over;
  return result;
}
