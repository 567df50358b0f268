/** Seconds per unit suffix accepted by {@link parseDuration}. */
const UNIT_SECONDS: Readonly<Record<string, number>> = Object.freeze({ s: 1, m: 60, h: 3600, d: 86_400 });

const DURATION = /^(\d+)([smhd])?$/;

/**
 * Reads a duration written in a config file and returns whole seconds.
 *
 * Accepts a positive integer (seconds) or a string: digits with an optional
 * unit `s`, `m`, `h` or `d` (`'30s'`, `'15m'`, `'1h'`, `'7d'`, `'90'`).
 * Zero, fractions, negative numbers and compound forms (`'1h30m'`) are refused:
 * a TTL of zero would make `cache` mean `discard`, and one unit per value keeps
 * config files easy to read.
 *
 * Throws a plain `Error` whose message says what was expected and what was
 * given; the caller adds file, line and key.
 *
 * @example
 * ```ts
 * parseDuration('15m'); // 900
 * parseDuration(3600);  // 3600
 * ```
 */
export function parseDuration(value: unknown): number {
  let seconds: number | undefined;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    const m = DURATION.exec(value.trim());
    if (m) seconds = Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
  }
  if (seconds === undefined || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(`expected a duration like 30s, 15m, 1h or 7d (or seconds), got ${showValue(value)}`);
  }
  return seconds;
}

/**
 * Writes seconds back in the shortest exact unit (`3600` → `'1h'`, `90` → `'90s'`),
 * so reasons and `policy show` read like the config file.
 */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] ?? 1;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * A short, unambiguous rendering of a config value for error messages:
 * strings quoted, lists and mappings as (truncated) JSON.
 *
 * @internal shared by the policy module's validators.
 */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Cycles or exotic objects: fall back to a readable tag rather than failing the error path.
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
