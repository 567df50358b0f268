/**
 * What the text that locates stored checkpoint content may be: a namespace,
 * a checkpoint id, a channel name or version, a task id or path. Each is a
 * `text` column, most of them part of a primary key, so a value must be
 * stored exactly and fit an index entry: no NUL (PostgreSQL text cannot
 * hold it), no unpaired surrogate (UTF-8 would replace it, and the stored
 * key would differ from the one given), and a bounded number of UTF-8 bytes
 * (an index entry is limited to about 2.7 KB, shared by the tenant, the
 * thread and the other key columns).
 */
import { InvalidRequestError } from '../errors/index.ts';
import { quote, textProblem } from '../realm/storable.ts';

/** At most this many UTF-8 bytes for a checkpoint id, channel name or version, task id. */
export const MAX_KEY_BYTES = 255;
/** At most this many UTF-8 bytes for a namespace (a subgraph's path: `node:task|node:task…`). */
export const MAX_NAMESPACE_BYTES = 1024;
/** At most this many UTF-8 bytes for a task path (stored, not indexed). */
export const MAX_TASK_PATH_BYTES = 8192;

export interface KeyTextRule {
  /** @default MAX_KEY_BYTES */
  readonly maxBytes?: number;
  /** Whether `''` is a value (the root namespace, no task path). @default false */
  readonly allowEmpty?: boolean;
}

/** Why `value` cannot be stored as key text, or null when it can. */
export function keyTextProblem(value: unknown, rule: KeyTextRule = {}): string | null {
  const maxBytes = rule.maxBytes ?? MAX_KEY_BYTES;
  if ((value === undefined || value === null) && !rule.allowEmpty) return 'is missing';
  if (typeof value !== 'string') return `must be a string, got ${describeValue(value)}`;
  if (value === '' && !rule.allowEmpty) return 'must not be empty';
  const problem = textProblem(value);
  if (problem) return `${quote(value, 60)} ${problem}`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) return `must be at most ${maxBytes} UTF-8 bytes, got ${bytes}`;
  return null;
}

/**
 * Checks key text. @throws InvalidRequestError naming `field`, its message
 * prefixed with `doing` (e.g. `cannot store a checkpoint`).
 */
export function checkKeyText(value: unknown, field: string, doing: string, rule: KeyTextRule = {}): asserts value is string {
  const problem = keyTextProblem(value, rule);
  if (problem !== null) throw new InvalidRequestError(`${doing}: ${field} ${problem}`, [{ path: field, message: problem }]);
}

/** A short picture of a refused value's kind for an error message (`nothing`, `null`, `an array`, `a number (4)`…). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string ${quote(value, 60)}`;
  if (typeof value === 'bigint') return `a bigint (${value}n)`;
  if (typeof value === 'number' || typeof value === 'boolean') return `a ${typeof value} (${String(value)})`;
  if (typeof value === 'object') return `an object (${Object.getPrototypeOf(value)?.constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}
