import { randomUUID } from 'node:crypto';
import { InvalidIntentError } from '../errors/index.ts';
import { unstorableIn } from '../json/storable-text.ts';

/**
 * What a tenant asks the platform to do. Intents are platform-native records:
 * every accepted intent is written to the write-ahead log before it runs.
 */
export interface Intent {
  /** Unique id; generated when absent. */
  readonly intentId: string;
  /** `<realm>.<intent>`, e.g. `journey.sop_to_workflow`. */
  readonly intentType: string;
  readonly tenantId: string;
  readonly sessionId: string;
  /** JSON parameters, validated against the intent's schema before anything runs. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** ISO-8601 timestamp; set when absent. */
  readonly createdAt: string;
  /** The solution (client application) the intent comes from; picks its solution config (platform policy `solutions`). */
  readonly solutionId?: string;
}

/** The fields a caller supplies; ids and timestamps default. */
export interface IntentInput {
  intentId?: string;
  intentType: string;
  tenantId: string;
  sessionId: string;
  parameters?: Record<string, unknown>;
  createdAt?: string | Date;
  solutionId?: string;
}

/**
 * Ids end up in storage paths and cache keys, so they are restricted to a
 * safe alphabet: letters, digits, `.`, `_`, `-`, `:`, `@`; 1–128 characters,
 * not starting with a dot.
 */
export const SAFE_ID = /^(?!\.)[A-Za-z0-9._:@-]{1,128}$/;
/** Tenant ids: safe ids, except the `symphainy:` prefix, which the platform's own records use. */
export const TENANT_ID = /^(?!\.)(?!symphainy:)[A-Za-z0-9._:@-]{1,128}$/;
/** The tenant of platform-level WAL records (policy activations): no tenant can have this id. */
export const PLATFORM_TENANT = 'symphainy:platform';
export const INTENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

/** Validates the envelope of an intent and fills in defaults. Parameters are checked later, by the registry. */
export function createIntent(input: IntentInput): Intent {
  const issues: { path: string; message: string }[] = [];
  const need = (field: keyof IntentInput, pattern: RegExp, what: string) => {
    const value = input?.[field];
    if (typeof value !== 'string' || value.length === 0) {
      issues.push({ path: field, message: 'is required (a non-empty string)' });
    } else if (!pattern.test(value)) {
      issues.push({ path: field, message: `${JSON.stringify(value)} is not ${what}` });
    }
  };
  if (input === null || typeof input !== 'object') {
    throw new InvalidIntentError('intent must be an object');
  }
  need('intentType', INTENT_TYPE, "of the form '<realm>.<intent>'");
  need('tenantId', TENANT_ID, "a valid tenant id (letters, digits, . _ - : @; at most 128; not starting with 'symphainy:')");
  need('sessionId', SAFE_ID, 'a valid id (letters, digits, . _ - : @; at most 128)');
  if (input.intentId !== undefined) need('intentId', SAFE_ID, 'a valid id');
  if (input.solutionId !== undefined) need('solutionId', SAFE_ID, 'a valid id');
  const parameters = input.parameters ?? {};
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    issues.push({ path: 'parameters', message: 'must be a JSON object' });
  } else {
    // The exact path of a string PostgreSQL cannot store (`parameters.items[1].name`), else whether it is JSON at all.
    const unstorable = unstorableIn(parameters, 'parameters');
    const problem = unstorable ? null : jsonProblem(parameters);
    if (unstorable) issues.push({ path: unstorable.path, message: unstorable.message });
    else if (problem) issues.push({ path: 'parameters', message: problem });
  }
  let createdAt: string | undefined;
  if (input.createdAt === undefined) createdAt = new Date().toISOString();
  else {
    const d = new Date(input.createdAt);
    const year = d.getUTCFullYear();
    if (Number.isNaN(d.getTime())) issues.push({ path: 'createdAt', message: 'is not a valid date' });
    // The store's timestamps cannot hold what JavaScript dates reach (years -271821 to 275760).
    else if (year < 1 || year > 9999) issues.push({ path: 'createdAt', message: 'must be a date in the years 1 to 9999' });
    else createdAt = d.toISOString();
  }
  if (issues.length > 0) {
    throw new InvalidIntentError(
      `invalid intent: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return Object.freeze({
    intentId: input.intentId ?? randomUUID(),
    intentType: input.intentType,
    tenantId: input.tenantId,
    sessionId: input.sessionId,
    parameters: parameters as Record<string, unknown>,
    createdAt: createdAt!,
    ...(input.solutionId !== undefined ? { solutionId: input.solutionId } : {}),
  });
}

/**
 * Why a value cannot be stored as PostgreSQL jsonb, or null when it can:
 * it must be JSON-serializable and free of NUL characters and unpaired
 * UTF-16 surrogates (which jsonb rejects).
 */
export function jsonProblem(value: unknown): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    return `is not JSON-serializable (${(err as Error).message})`;
  }
  if (text === undefined) return 'is not JSON-serializable';
  // JSON.stringify writes NUL as \u0000 and escapes exactly the unpaired surrogates; either counts only
  // after an even run of backslashes (`\\u0000` is the six characters a user typed, which are storable).
  if (/(?<!\\)(?:\\\\)*\\u0000/.test(text)) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (/(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i.test(text)) return 'contains an unpaired UTF-16 surrogate, which cannot be stored';
  return null;
}
