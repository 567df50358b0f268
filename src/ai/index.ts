/**
 * `symphainy/ai`: the Vercel AI SDK (`ai`, an optional peer dependency
 * loaded only by this entry) inside realm handlers. Each helper runs one
 * model call as a step of the execution — journaled by `ctx.step` when the
 * runtime has durable steps, so a resumed execution does not pay for it
 * again — records its usage with `ctx.recordUsage` (so budgets apply), and
 * `streamTextStep` forwards each text delta to `ctx.emit`.
 *
 * ```ts
 * import { generateTextStep } from 'symphainy/ai';
 * handler: async (params, ctx) => {
 *   const draft = await generateTextStep(ctx, 'draft', { model, prompt: params.brief }, { pricing: { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 } });
 *   return { artifacts: { post: { resultType: 'sop', renderings: { markdown: draft.text } } } };
 * }
 * ```
 */
import { generateText, streamText, type LanguageModelUsage } from 'ai';
import type { ExecutionContext, ModelUsage } from '../intent/execution-context.ts';

/** What a step of a durable execution takes; `ctx.step` when the runtime has one. */
export type StepRunner = <T>(name: string, fn: () => Promise<T>, options?: { readonly resultType?: string }) => Promise<T>;

/** The part of the execution context the helpers use. */
export type AiContext = Pick<ExecutionContext, 'recordUsage' | 'emit'> & { readonly step?: StepRunner };

/** Prices of a model, in US dollars per million tokens: the recorded `costUsd` is computed from them. */
export interface ModelPricing {
  readonly inputPerMillionUsd: number;
  readonly outputPerMillionUsd: number;
}

export interface ModelStepOptions {
  /** Prices to compute `costUsd` from; absent: the cost is recorded as unknown. */
  readonly pricing?: ModelPricing;
  /** The model name recorded; default: the model's `modelId` (or the model string given to the SDK). */
  readonly model?: string;
  /** The step's result type for the materialization policy (durable steps). */
  readonly resultType?: string;
}

/** What a model step returns (plain JSON, so a step journal can hold it). */
export interface ModelStepResult {
  readonly text: string;
  readonly finishReason: string;
  /** Tokens as recorded with `ctx.recordUsage`, and the cost in US dollars when priced. */
  readonly usage: ModelUsage;
}

type GenerateParams = Parameters<typeof generateText>[0];
type StreamParams = Parameters<typeof streamText>[0];

/**
 * Runs `generateText(params)` as the step `name`, records its usage
 * (`totalUsage`: every model call of a multi-step generation), and returns
 * its text.
 * @throws BudgetExceededError (SYM_ERR_BUDGET) when the usage crosses a budget; whatever the SDK throws.
 */
export async function generateTextStep(ctx: AiContext, name: string, params: GenerateParams, options: ModelStepOptions = {}): Promise<ModelStepResult> {
  return runStep(ctx, name, options, async () => {
    const result = await generateText(params);
    const usage = usageOf(modelName(params.model, options), result.totalUsage, options.pricing);
    await ctx.recordUsage(usage);
    return { text: result.text, finishReason: String(result.finishReason), usage };
  });
}

/**
 * Runs `streamText(params)` as the step `name`: each text delta goes to
 * `ctx.emit` as it comes (readers of `GET /v1/executions/:id/stream` see it
 * live); then records the usage and returns the whole text.
 * @throws BudgetExceededError (SYM_ERR_BUDGET) when the usage crosses a budget; the stream's error when it fails.
 */
export async function streamTextStep(ctx: AiContext, name: string, params: StreamParams, options: ModelStepOptions = {}): Promise<ModelStepResult> {
  return runStep(ctx, name, options, async () => {
    let failure: unknown;
    const result = streamText({ ...params, onError: ({ error }) => { failure ??= error; } });
    for await (const delta of result.textStream) {
      if (delta !== '') await ctx.emit(delta);
    }
    if (failure !== undefined) throw failure;
    const usage = usageOf(modelName(params.model, options), await result.totalUsage, options.pricing);
    await ctx.recordUsage(usage);
    return { text: await result.text, finishReason: String(await result.finishReason), usage };
  });
}

function runStep(ctx: AiContext, name: string, options: ModelStepOptions, fn: () => Promise<ModelStepResult>): Promise<ModelStepResult> {
  if (!ctx.step) return fn();
  return ctx.step(name, fn, options.resultType ? { resultType: options.resultType } : undefined);
}

function modelName(model: unknown, options: ModelStepOptions): string {
  if (options.model) return options.model;
  if (typeof model === 'string') return model;
  const id = (model as { modelId?: unknown } | null)?.modelId;
  return typeof id === 'string' && id !== '' ? id : 'unknown';
}

/** The SDK's usage as `ctx.recordUsage` takes it; tokens the provider did not report count as 0. */
export function usageOf(model: string, usage: LanguageModelUsage, pricing?: ModelPricing): ModelUsage {
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  return {
    model, inputTokens, outputTokens,
    ...(pricing ? { costUsd: (inputTokens * pricing.inputPerMillionUsd + outputTokens * pricing.outputPerMillionUsd) / 1_000_000 } : {}),
  };
}
