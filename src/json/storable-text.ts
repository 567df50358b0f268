import { InvalidRequestError, type ErrorIssue } from '../errors/index.ts';

/**
 * What PostgreSQL can store as text: the one check every caller's input
 * goes through before it is stored or used in a query.
 *
 * PostgreSQL `text` refuses U+0000 (NUL) and `jsonb` refuses both `\u0000`
 * and unpaired UTF-16 surrogates (which are not Unicode scalar values and
 * have no UTF-8 encoding: a driver would silently replace them with U+FFFD).
 * Even as a query parameter such a string fails the statement, so an id
 * used only to look something up is checked too.
 */

/** NUL or an unpaired surrogate: a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
const UNSTORABLE_ONE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/**
 * Why `s` cannot be stored as PostgreSQL text or jsonb, or null when it can.
 * Names the first offending code unit and its index (UTF-16 units).
 */
export function textProblem(s: string): string | null {
  const m = UNSTORABLE_ONE.exec(s);
  if (!m) return null;
  const unit = m[0]!.charCodeAt(0);
  const at = `at index ${m.index}`;
  if (unit === 0) return `contains a NUL character (U+0000) ${at}, which PostgreSQL cannot store`;
  return `contains an unpaired UTF-16 surrogate (\\u${hex4(unit)}) ${at}, which is not Unicode text and cannot be stored`;
}

/** `s` with each NUL and unpaired surrogate replaced by the visible escape `\uXXXX`. */
export function escapeUnstorable(s: string): string {
  return s.replace(UNSTORABLE, (c) => `\\u${hex4(c.charCodeAt(0))}`);
}

/** Where an unstorable string sits in a value, and why it cannot be stored. */
export interface UnstorableAt {
  /** The JSON path (`parameters.items[2].name`); `root` itself when the value is that string. Keys in it are escaped. */
  readonly path: string;
  readonly message: string;
}

/**
 * The first string of `value` — a string itself, or any string or key in
 * its arrays and plain objects, however deep — that PostgreSQL cannot
 * store, with its path from `root`; null when there is none. Other values
 * (numbers, Dates, class instances, bytes) are not looked into: what is
 * not plain JSON is another check's business. Iterative, so a deeply nested
 * body cannot overflow the stack.
 */
export function unstorableIn(value: unknown, root = ''): UnstorableAt | null {
  const seen = new Set<object>();
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { path, message: problem };
      continue;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
      continue;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) continue;
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child = path === '' ? escapeUnstorable(key) : `${path}.${escapeUnstorable(key)}`;
      const problem = textProblem(key);
      if (problem) return { path: child, message: `is a key that ${problem}` };
      stack.push([(v as Record<string, unknown>)[key], child]);
    }
  }
  return null;
}

/**
 * Throws InvalidRequestError (SYM_ERR_INVALID_REQUEST, 400) naming the path
 * of the first string in `value` PostgreSQL cannot store
 * ({@link unstorableIn}); returns when there is none. For inputs of the
 * runtime's API: `refuseUnstorable({ artifactId, reason })` names
 * `reason`, `refuseUnstorable(scope)` names `subject.value`.
 */
export function refuseUnstorable(value: unknown, root = ''): void {
  const at = unstorableIn(value, root);
  if (!at) return;
  const issue: ErrorIssue = { path: at.path, message: at.message };
  throw new InvalidRequestError(at.path === '' ? `the input ${at.message}` : `${at.path} ${at.message}`, [issue]);
}
