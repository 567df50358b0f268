import { RealmDefinitionError } from '../errors/index.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import { compileRetryPolicy, type CompiledRetryPolicy, type RetryPolicy } from '../policy/retry-policy.ts';
import { MAX_TIMER_SECONDS } from '../policy/duration.ts';

/**
 * Anything with `parse()` or `safeParse()` validates parameters — a Zod
 * schema, or your own object. The runtime never depends on a particular
 * validation library.
 */
export type ParamsSchema<T = unknown> =
  | { parse(input: unknown): T }
  | { safeParse(input: unknown): { success: true; data: T } | { success: false; error: unknown } };

/** An event a realm emits; delivered through the outbox after the execution commits. */
export interface RealmEvent {
  type: string;
  data?: unknown;
}

/**
 * What a handler returns. Two shapes are accepted:
 * - legacy: `{ artifacts: { key: data }, events }` — all of `data` (but a
 *   `semantic_payload`) is one rendering named after the key;
 * - structured: `{ artifacts: { key: { resultType, semanticPayload, renderings } }, events }`
 *   (the plan's snake_case `result_type` / `semantic_payload` is accepted too).
 */
export interface RealmResult {
  artifacts?: Record<string, unknown>;
  events?: readonly (RealmEvent | Record<string, unknown>)[];
}

/** One intent a realm handles. */
export interface IntentDefinition<P = any> {
  /** Validates the intent's parameters before anything is recorded as executed. */
  params?: ParamsSchema<P>;
  /** One line for `symphainy intents`. */
  description?: string;
  /** Milliseconds before the execution fails with SYM_ERR_REALM_TIMEOUT. @default the runtime's `realmTimeoutMs` (30 000) */
  timeoutMs?: number;
  /**
   * How queued executions of this intent are retried; recorded with each.
   * @default the retry policy of the runtime whose worker claims it
   */
  retryPolicy?: RetryPolicy;
  /**
   * Does the work and returns a result. Gets validated parameters and the
   * execution context — no storage handle: the runtime decides what is kept.
   */
  handler(params: P, context: ExecutionContext): RealmResult | Promise<RealmResult>;
}

export interface RealmDefinitionInput {
  /** Realm name: the part of an intent type before the dot. */
  name: string;
  description?: string;
  intents: Record<string, IntentDefinition>;
}

/** A validated, frozen realm definition, as produced by {@link defineRealm}. */
export interface Realm {
  readonly name: string;
  readonly description?: string;
  readonly intents: Readonly<Record<string, IntentDefinition>>;
  readonly [REALM_BRAND]: true;
}

const REALM_BRAND = Symbol.for('symphainy.realm');
const COMPILED_RETRY = Symbol.for('symphainy.compiledRetryPolicy');

/** The compiled `retryPolicy` of an intent definition made by {@link defineRealm}, if it set one. */
export function compiledRetryPolicyOf(def: IntentDefinition): CompiledRetryPolicy | undefined {
  return (def as unknown as Record<symbol, CompiledRetryPolicy | undefined>)[COMPILED_RETRY];
}
const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Declares a realm: a named set of intent handlers.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineRealm } from 'symphainy';
 *
 * export default defineRealm({
 *   name: 'my',
 *   intents: {
 *     summarize: {
 *       params: z.object({ text: z.string().min(1) }),
 *       handler: ({ text }) => ({
 *         artifacts: {
 *           summary: { resultType: 'sop', semanticPayload: { words: text.split(' ').length },
 *                      renderings: { markdown: `# Summary\n${text.slice(0, 80)}` } },
 *         },
 *         events: [{ type: 'summarized' }],
 *       }),
 *     },
 *   },
 * });
 * ```
 */
export function defineRealm(input: RealmDefinitionInput): Realm {
  if (input === null || typeof input !== 'object') {
    throw new RealmDefinitionError('defineRealm expects an object { name, intents }');
  }
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw new RealmDefinitionError(
      `realm name ${JSON.stringify(input.name)} is invalid: use letters, digits, '_' or '-'`,
    );
  }
  if (input.intents === null || typeof input.intents !== 'object' || Object.keys(input.intents).length === 0) {
    throw new RealmDefinitionError(`realm '${input.name}' must define at least one intent in 'intents'`);
  }
  const intents: Record<string, IntentDefinition> = {};
  for (const [key, def] of Object.entries(input.intents)) {
    const where = `realm '${input.name}', intent '${key}'`;
    if (!NAME.test(key)) throw new RealmDefinitionError(`${where}: intent name is invalid: use letters, digits, '_' or '-'`);
    if (def === null || typeof def !== 'object' || typeof def.handler !== 'function') {
      throw new RealmDefinitionError(`${where}: 'handler' must be a function`);
    }
    if (
      def.params !== undefined &&
      (def.params === null ||
        (typeof (def.params as { parse?: unknown }).parse !== 'function' &&
          typeof (def.params as { safeParse?: unknown }).safeParse !== 'function'))
    ) {
      throw new RealmDefinitionError(`${where}: 'params' must have a parse() or safeParse() method (e.g. a Zod schema)`);
    }
    // A timer waits on it: Node fires a longer one at once.
    if (def.timeoutMs !== undefined && !(Number.isInteger(def.timeoutMs) && def.timeoutMs > 0 && def.timeoutMs <= MAX_TIMER_SECONDS * 1000)) {
      throw new RealmDefinitionError(`${where}: 'timeoutMs' must be a whole number of milliseconds from 1 to ${MAX_TIMER_SECONDS * 1000}, got ${String(def.timeoutMs)}`);
    }
    let compiled: CompiledRetryPolicy | undefined;
    if (def.retryPolicy !== undefined) {
      try {
        compiled = compileRetryPolicy(def.retryPolicy);
      } catch (err) {
        throw new RealmDefinitionError(`${where}: ${(err as Error).message}`);
      }
    }
    intents[key] = Object.freeze({ ...def, ...(compiled ? { [COMPILED_RETRY]: compiled } : {}) });
  }
  return Object.freeze({
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    intents: Object.freeze(intents),
    [REALM_BRAND]: true as const,
  });
}

/** True when `value` was produced by {@link defineRealm} (any copy of the package). */
export function isRealm(value: unknown): value is Realm {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[REALM_BRAND] === true;
}
