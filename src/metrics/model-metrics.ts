import { Counter, type Registry } from 'prom-client';
import type { ModelUsage } from '../intent/execution-context.ts';

/**
 * Counters of model usage this process recorded (`ctx.recordUsage`), by
 * model, and of executions stopped by a budget, by rule. Per process, like
 * the other counters; the store's totals are `runtime.modelWork.usage`.
 */
export class ModelMetrics {
  readonly #tokens: Counter<'model' | 'kind'>;
  readonly #cost: Counter<'model'>;
  readonly #calls: Counter<'model'>;
  readonly #exceeded: Counter<'rule'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#tokens = new Counter({
      name: 'symphainy_model_tokens_total',
      help: 'Model tokens recorded with ctx.recordUsage, by model and kind (input, output)',
      labelNames: ['model', 'kind'],
      registers,
    });
    this.#cost = new Counter({
      name: 'symphainy_model_cost_usd_total',
      help: 'Model cost recorded with ctx.recordUsage, in US dollars, by model',
      labelNames: ['model'],
      registers,
    });
    this.#calls = new Counter({
      name: 'symphainy_model_calls_total',
      help: 'Model calls recorded with ctx.recordUsage, by model',
      labelNames: ['model'],
      registers,
    });
    this.#exceeded = new Counter({
      name: 'symphainy_budget_exceeded_total',
      help: 'Executions failed by a budget of the platform policy, by rule id',
      labelNames: ['rule'],
      registers,
    });
  }

  usage(u: ModelUsage): void {
    this.#tokens.inc({ model: u.model, kind: 'input' }, u.inputTokens);
    this.#tokens.inc({ model: u.model, kind: 'output' }, u.outputTokens);
    this.#cost.inc({ model: u.model }, u.costUsd ?? 0);
    this.#calls.inc({ model: u.model });
  }

  budgetExceeded(ruleId: string): void {
    this.#exceeded.inc({ rule: ruleId });
  }
}
