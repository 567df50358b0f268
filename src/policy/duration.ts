import { ConfigError } from '../errors/index.ts';

/** Milliseconds per unit suffix accepted by {@link parseDuration}. */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 });

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/;

/**
 * The longest duration anything accepts: 100 years of 365 days (`36500d`),
 * in seconds. Far past any retention a platform keeps, and far inside what a
 * date (JavaScript's or PostgreSQL's) can hold, so every accepted duration
 * added to the database's `now()` is a valid time.
 */
export const MAX_DURATION_SECONDS = 36_500 * 86_400;

/**
 * The longest a duration that runs a timer may be (24 days, in seconds):
 * Node's timers take at most 2^31-1 ms (about 24.8 days) and fire at once
 * when given more.
 */
export const MAX_TIMER_SECONDS = 24 * 86_400;

/** What one setting accepts; every field has a default, so `{}` is a config file's TTL or retention. */
export interface DurationLimits {
  /**
   * Accept fractions of a second, to the millisecond (`200ms`, `0.2`, `1.5s`).
   * @default false: whole seconds (`1.5m` is fine, `1.5s` is not)
   */
  readonly subSecond?: boolean;
  /** Shortest accepted, in seconds. @default 1, or 0.001 with `subSecond` */
  readonly min?: number;
  /** Longest accepted, in seconds. @default {@link MAX_DURATION_SECONDS} */
  readonly max?: number;
  /** What a bare number means: seconds, or (for settings named in milliseconds) milliseconds. @default 's' */
  readonly plain?: 's' | 'ms';
}

/**
 * The one duration parser: every flag, config key and option that takes a
 * duration reads it here, so whatever validates also executes.
 *
 * Accepts a number (in the `plain` unit) or a string: a number with an
 * optional unit `ms`, `s`, `m`, `h`, `d` or `w` (`'200ms'`, `'0.2'`, `'30s'`,
 * `'15m'`, `'1.5h'`, `'7d'`, `'90'`). Zero, negative numbers, compound forms
 * (`'1h30m'`), fractions finer than a millisecond, and values outside
 * `[min, max]` are refused: a TTL of zero would make `cache` mean `discard`,
 * and a duration past {@link MAX_DURATION_SECONDS} is not a time anything
 * can be kept until.
 *
 * Returns seconds (a whole number unless `subSecond`). Throws a plain
 * `Error` whose message says what was expected and what was given; the
 * caller adds the file, line, key or flag ({@link durationOption} does it
 * for options and flags).
 *
 * @example
 * ```ts
 * parseDuration('15m');                        // 900
 * parseDuration(3600);                         // 3600
 * parseDuration('200ms', { subSecond: true }); // 0.2
 * parseDuration('99999999999d');               // throws: longer than the maximum of 100 years (36500d)
 * ```
 */
export function parseDuration(value: unknown, limits: DurationLimits = {}): number {
  const subSecond = limits.subSecond === true;
  let ms: number | undefined;
  if (typeof value === 'number') {
    ms = value * (limits.plain === 'ms' ? 1 : 1000);
  } else if (typeof value === 'string') {
    const m = DURATION.exec(value.trim());
    if (m) ms = Number(m[1]) * (UNIT_MS[m[2] ?? limits.plain ?? 's'] ?? 1000);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new Error(expected(value, subSecond));
  // Decimal input times a unit is not exact in binary: 0.1 s is 100.00000000000001 ms.
  const whole = Math.round(ms);
  if (Math.abs(ms - whole) > 1e-6 * Math.max(1, ms)) {
    throw new Error(`${showValue(value)} is finer than a millisecond; ${expected(value, subSecond).replace(/, got .*$/, '')}`);
  }
  ms = whole;
  const max = limits.max ?? MAX_DURATION_SECONDS;
  const min = limits.min ?? (subSecond ? 0.001 : 1);
  if (ms > max * 1000) throw new Error(`${showValue(value)} is longer than the maximum of ${describeLimit(max)}`);
  if (!subSecond && ms % 1000 !== 0) {
    throw new Error(`${showValue(value)} is not a whole number of seconds (this setting takes s, m, h, d or w)`);
  }
  if (ms < min * 1000) throw new Error(`${showValue(value)} is shorter than the minimum of ${formatDuration(min)}`);
  return ms / 1000;
}

/** Like {@link parseDuration}, in whole milliseconds (for timers and settings named in milliseconds). */
export function parseDurationMs(value: unknown, limits: DurationLimits = {}): number {
  return Math.round(parseDuration(value, limits) * 1000);
}

/**
 * A duration given as an option or flag, in seconds (or, with `unit: 'ms'`,
 * whole milliseconds; a bare number is still seconds unless `plain: 'ms'`), or a `ConfigError` (`SYM_ERR_CONFIG`) naming the option and
 * the value: `--poll-interval: "0" is ...`, `sweepIntervalSeconds: 99999999 is
 * longer than the maximum of 24d (the longest timer)`.
 */
export function durationOption(name: string, value: unknown, limits: DurationLimits & { unit?: 's' | 'ms' } = {}): number {
  try {
    const seconds = parseDuration(value, limits);
    return limits.unit === 'ms' ? Math.round(seconds * 1000) : seconds;
  } catch (err) {
    // Where a bare number is milliseconds, the hint says so.
    const message = (err as Error).message;
    throw new ConfigError(`${name}: ${limits.plain === 'ms' ? message.replace('(or seconds)', '(or milliseconds)') : message}`);
  }
}

function expected(value: unknown, subSecond: boolean): string {
  return `expected a duration like ${subSecond ? '200ms, ' : ''}30s, 15m, 1h or 7d (or seconds), got ${showValue(value)}`;
}

function describeLimit(seconds: number): string {
  if (seconds === MAX_DURATION_SECONDS) return '100 years (36500d)';
  if (seconds === MAX_TIMER_SECONDS) return '24d (the longest timer)';
  return formatDuration(seconds);
}

/**
 * Writes seconds back in the shortest exact unit (`3600` → `'1h'`, `90` → `'90s'`,
 * `0.2` → `'200ms'`), so reasons and `policy show` read like the config file.
 */
export function formatDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms % 1000 !== 0) return `${ms}ms`;
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = (UNIT_MS[unit] ?? 1000) / 1000;
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
