import { z } from 'zod';
import { MAX_TIMER_SECONDS, parseDuration } from '../policy/duration.ts';

/**
 * What one option accepts, as zod schemas: `value` for a value given in the
 * option's own unit (a `createRuntime` option, a parsed runtime config key, a
 * flag commander already converted), `text` for the text of an environment
 * variable or a flag. Each refusal says what is expected and what was given.
 */
export interface OptionKind {
  /** What the README table says the option takes. */
  readonly describe: string;
  readonly value: z.ZodType;
  readonly text: z.ZodType;
}

/** A value as the user wrote it, for messages (`-3`, `NaN`, `"soon"`, `[object]`). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// One message per value: the first check that fails ends the value's checks (a value failing several says so once).
const refuse = (expected: string) => ({ error: (issue: { input?: unknown }) => `must be ${expected}, got ${show(issue.input)}`, abort: true });

/** Whole numbers from `min` to `max`; text must be digits. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): OptionKind {
  const expected =
    min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer'
      : min === 0 && max === Number.MAX_SAFE_INTEGER ? 'an integer of 0 or more'
        : `an integer from ${min} to ${max}`;
  const value = z.number(refuse(expected)).int(refuse(expected)).min(min, refuse(expected)).max(max, refuse(expected));
  const text = z.string().trim().regex(/^\d+$/, refuse(expected)).transform(Number).pipe(value);
  return { describe: expected.replace(/^an? /, ''), value, text };
}

/** A number from 0 to `max` (fractions allowed); `max` is what the option's timer or date arithmetic can hold. */
export function nonNegativeNumber(unit: string, max: number): OptionKind {
  const expected = `a number of ${unit} from 0 to ${max}`;
  const value = z.number(refuse(expected)).min(0, refuse(expected)).max(max, refuse(expected));
  const text = z.string().trim().regex(/^\d+(\.\d+)?$/, refuse(expected)).transform(Number).pipe(value);
  return { describe: `${unit}, 0 to ${max}`, value, text };
}

/** The longest timer in milliseconds ({@link MAX_TIMER_SECONDS}: Node fires a longer one at once). */
export const MAX_TIMER_MS = MAX_TIMER_SECONDS * 1000;

/**
 * A timer duration in milliseconds: a number of milliseconds, or text such
 * as `200ms`, `30s`, `2m` (bare numbers in text are seconds, as in every
 * config file); at most 24 days (Node's timers). `zero`: 0 is allowed and
 * means "none"; `minMs`: the shortest accepted.
 */
export function durationMs(options: { zero?: boolean; minMs?: number } = {}): OptionKind {
  const limits = { subSecond: true, max: MAX_TIMER_SECONDS, ...(options.minMs ? { min: options.minMs / 1000 } : {}) };
  const parse = (plain: 's' | 'ms') => (input: unknown, ctx: z.RefinementCtx) => {
    if (options.zero && (input === 0 || (typeof input === 'string' && input.trim() === '0'))) return 0;
    try {
      return Math.round(parseDuration(input, { ...limits, plain }) * 1000);
    } catch (err) {
      // A bare number here is milliseconds, not the seconds of config files.
      const message = (err as Error).message;
      ctx.addIssue({ code: 'custom', message: plain === 'ms' ? message.replace('(or seconds)', '(or milliseconds)') : message });
      return z.NEVER;
    }
  };
  return {
    describe: `milliseconds (text: a duration such as 30s)${options.zero ? '; 0: none' : ''}`,
    value: z.unknown().transform(parse('ms')),
    text: z.unknown().transform(parse('s')),
  };
}

/** A timer duration in seconds, fractions allowed, at most 24 days. */
export function durationSeconds(): OptionKind {
  const parse = (input: unknown, ctx: z.RefinementCtx) => {
    try {
      return parseDuration(input, { subSecond: true, max: MAX_TIMER_SECONDS });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  };
  const schema = z.unknown().transform(parse);
  return { describe: 'seconds (text: a duration such as 5m)', value: schema, text: schema };
}

/** Non-empty text. */
export function text(describe = 'text'): OptionKind {
  const schema = z.string(refuse('text')).trim().min(1, 'must not be empty');
  return { describe, value: schema, text: schema };
}

/** Text that must match `pattern`; `expected` says what in the message (never echoing credentials). */
export function textMatching(pattern: RegExp, expected: string, describe = expected): OptionKind {
  const schema = z
    .string(refuse('text'))
    .trim()
    .min(1, 'must not be empty')
    .refine((s) => pattern.test(s), { error: (issue) => `must be ${expected}, got ${shownUrl(String(issue.input))}` });
  return { describe, value: schema, text: schema };
}

/** One of a few words. */
export function oneOf(words: readonly [string, ...string[]]): OptionKind {
  const schema = z.enum(words, refuse(`one of ${words.join(', ')}`));
  return { describe: words.join(' \\| '), value: schema, text: schema };
}

/** `true` or `false` (text: `true`, `false`, `1`, `0`). */
export function flag(): OptionKind {
  const value = z.boolean(refuse('true or false'));
  const textSchema = z.string().trim().regex(/^(true|false|1|0)$/, refuse('true or false')).transform((s) => s === 'true' || s === '1');
  return { describe: 'true or false', value, text: textSchema };
}

/**
 * A refused address as an error may show it: a URL with its credentials
 * masked; anything else not at all, since a malformed URL (`postgres//u:pw@h`)
 * still holds the password where no parser can find and mask it.
 */
function shownUrl(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? show(redact(value)) : 'a value that is not a URL (not shown: it may hold a password)';
}

/** A URL's user and password replaced, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** An http:// or https:// URL a URL parser accepts (an OTLP endpoint). */
export function httpUrl(): OptionKind {
  const schema = z
    .string(refuse('text'))
    .trim()
    .min(1, 'must not be empty')
    .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), { error: (issue) => `must be an http:// or https:// URL, got ${shownUrl(String(issue.input))}` });
  return { describe: 'an http:// or https:// URL', value: schema, text: schema };
}

/** A comma-separated list of these words (OpenTelemetry's `OTEL_TRACES_EXPORTER`), normalized to `a,b`. */
export function wordList(words: readonly [string, ...string[]]): OptionKind {
  const expected = `a comma-separated list of ${words.join(', ')}`;
  const schema = z.string(refuse(expected)).transform((text, ctx) => {
    const list = text.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '');
    if (list.length > 0 && list.every((w) => words.includes(w))) return list.join(',');
    ctx.addIssue({ code: 'custom', message: `must be ${expected}, got ${show(text)}` });
    return z.NEVER;
  });
  return { describe: expected.replace(/^a /, ''), value: schema, text: schema };
}

/** The backends' addresses, checked alike in options, flags, environment and the runtime config file. */
export const DATABASE_URL = textMatching(/^postgres(ql)?:\/\//, 'a postgres:// URL');
export const ARTIFACTS = textMatching(/^(s3:\/\/|(?![a-z][a-z0-9+.-]*:\/\/))/i, 's3://bucket/prefix or a directory');
export const S3_ENDPOINT = textMatching(/^https?:\/\/./, 'an http:// or https:// URL');
export const CACHE = textMatching(/^(embedded|rediss?:\/\/.+)$/, "redis://host:port, rediss://host:port or 'embedded'");
