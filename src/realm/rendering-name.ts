import { quote, textProblem } from './storable.ts';

/**
 * The one naming rule for rendering names and artifact keys, used where they
 * are written (a realm's result, {@link normalizeResult}) and where they are
 * read back (`GET /v1/artifacts/:id/content/:rendering`, `symphainy
 * artifacts get ID --rendering NAME`), so every name that is stored can be
 * read. A name is:
 * - 1 to {@link MAX_NAME_BYTES} bytes of UTF-8 (any script: `résumé`,
 *   `my file.svg`, `a/b`, `100%` are all names);
 * - Unicode text: no unpaired surrogates, no NUL;
 * - free of control characters (U+0000–U+001F, U+007F–U+009F), which no
 *   terminal or header shows faithfully;
 * - without `.` or `..` as a `/`-separated segment (`..`, `a/../b`), which
 *   URL paths and proxies resolve away.
 * Names are compared exactly (no case folding, no Unicode normalization).
 * In a URL a name is one path segment, percent-encoded
 * (`encodeURIComponent`): `a/b` is `a%2Fb`, `my file.svg` is `my%20file.svg`.
 *
 * @example
 * ```ts
 * namingProblem('résumé')   // null
 * namingProblem('a\tb')     // 'contains a control character (U+0009) at index 1'
 * ```
 */
export const MAX_NAME_BYTES = 255;

/** The longest URL path segment an encoded name takes (each byte at most `%XX`); the HTTP router allows this much. */
export const MAX_ENCODED_NAME_LENGTH = MAX_NAME_BYTES * 3;

/** Why `name` breaks the naming rule, or null when it is a valid name. */
export function namingProblem(name: unknown): string | null {
  if (typeof name !== 'string') return `is a ${name === null ? 'null' : typeof name}, not a string`;
  if (name.length === 0) return 'is empty';
  const text = textProblem(name);
  if (text) return text;
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(name);
  if (control) return `contains a control character (U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}) at index ${control.index}`;
  if (name.split('/').some((s) => s === '.' || s === '..')) return "has a '.' or '..' segment, which paths resolve away";
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `is ${bytes} bytes of UTF-8, over the limit of ${MAX_NAME_BYTES}`;
  return null;
}

/** Throws a `make`d error naming `what` (e.g. `rendering name`) when `name` breaks the naming rule. */
export function assertName(name: unknown, what: string, make: (message: string) => Error): asserts name is string {
  const problem = namingProblem(name);
  if (problem) throw make(`${what} ${typeof name === 'string' ? quote(name) : ''} ${problem}`.replace('  ', ' '));
}
