import { readFile } from 'node:fs/promises';
import { ConfigError, InvalidIntentError } from '../errors/index.ts';
import { durationOption, type DurationLimits } from '../policy/duration.ts';

/** Parses JSON, naming the source and the line/column of a syntax error. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos && !/line \d+/.test(msg)) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` (line ${line} column ${before.length - before.lastIndexOf('\n')})`;
    }
    throw new InvalidIntentError(`${source}: invalid JSON: ${msg}${where}`);
  }
}

/** The intent parameters from `--params JSON` or `--params-file FILE` (not both); `{}` when neither. */
export async function readParams(opts: { params?: string; paramsFile?: string }): Promise<Record<string, unknown>> {
  if (opts.params !== undefined && opts.paramsFile !== undefined) {
    throw new ConfigError('use either --params or --params-file, not both');
  }
  let value: unknown = {};
  if (opts.params !== undefined) value = parseJson(opts.params, '--params');
  if (opts.paramsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.paramsFile, 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ConfigError(`--params-file ${opts.paramsFile}: ${missing ? 'file not found' : (err as Error).message}`);
    }
    value = parseJson(text, `--params-file ${opts.paramsFile}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidIntentError('parameters must be a JSON object, e.g. {"sop_text": "1. Do this"}');
  }
  return value as Record<string, unknown>;
}

/** A positive integer option (at most `max`), or a ConfigError naming the flag. */
export function positiveInt(flag: string, max = 2 ** 31 - 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0 || n > max) {
      throw new ConfigError(`${flag} must be a whole number from 1 to ${max}, got '${value}'`);
    }
    return n;
  };
}

/**
 * A duration flag in seconds — `200ms`, `0.2`, `30s`, `2m`, `7d`; a bare
 * number is seconds — read by the one duration parser with these limits
 * (default: whole seconds up to 100 years), or a ConfigError naming the flag
 * and the value.
 */
export function durationSeconds(flag: string, limits: DurationLimits = {}): (value: string) => number {
  return (value: string) => durationOption(flag, value, limits);
}

/** Like {@link durationSeconds}, in whole milliseconds (`plain: 'ms'` for flags whose bare numbers are milliseconds). */
export function durationMillis(flag: string, limits: DurationLimits = {}): (value: string) => number {
  return (value: string) => durationOption(flag, value, { ...limits, unit: 'ms' });
}
