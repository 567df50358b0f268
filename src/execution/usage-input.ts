import { InvalidUsageError } from '../errors/index.ts';
import type { ModelUsage } from '../store/model-usage.ts';

const USAGE_KEYS = ['model', 'inputTokens', 'outputTokens', 'costUsd'];

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

/**
 * Checks what `ctx.recordUsage` was given.
 *
 * @throws InvalidUsageError (SYM_ERR_INVALID_USAGE) naming the field, e.g.
 *   `recordUsage: inputTokens must be a non-negative whole number, got -3`.
 */
export function checkUsage(raw: unknown): ModelUsage {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidUsageError(`recordUsage: expected { model, inputTokens, outputTokens, costUsd? }, got ${show(raw)}`);
  }
  const u = raw as Record<string, unknown>;
  for (const key of Object.keys(u)) {
    if (!USAGE_KEYS.includes(key)) throw new InvalidUsageError(`recordUsage: unknown field '${key}' (expected ${USAGE_KEYS.join(', ')})`);
  }
  if (typeof u.model !== 'string' || u.model.trim() === '' || u.model.length > 200 || /[\u0000-\u001f]/.test(u.model)) {
    throw new InvalidUsageError(`recordUsage: model must be a model name (1-200 characters, no control characters), got ${show(u.model)}`);
  }
  for (const key of ['inputTokens', 'outputTokens'] as const) {
    const n = u[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new InvalidUsageError(`recordUsage: ${key} must be a non-negative whole number, got ${show(n)}`);
    }
  }
  if (u.costUsd !== undefined && (typeof u.costUsd !== 'number' || !Number.isFinite(u.costUsd) || u.costUsd < 0)) {
    throw new InvalidUsageError(`recordUsage: costUsd must be a non-negative number of US dollars, got ${show(u.costUsd)}`);
  }
  return {
    model: u.model, inputTokens: u.inputTokens as number, outputTokens: u.outputTokens as number,
    ...(u.costUsd !== undefined ? { costUsd: u.costUsd as number } : {}),
  };
}
