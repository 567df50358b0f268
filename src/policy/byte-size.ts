const UNIT_BYTES: Readonly<Record<string, number>> = Object.freeze({ b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 });
const SIZE = /^(\d+)\s*(b|kb|mb|gb)?$/i;

/**
 * Reads a size written in a config file and returns bytes: a positive
 * integer (bytes) or digits with a unit `b`, `kb`, `mb`, `gb` (powers of
 * 1024, case-insensitive): `'512kb'`, `'1mb'`. Throws a plain `Error` saying
 * what was expected; the caller adds file, line and key.
 */
export function parseByteSize(value: unknown, options: { allowZero?: boolean } = {}): number {
  let bytes: number | undefined;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = SIZE.exec(value.trim());
    if (m) bytes = Number(m[1]) * UNIT_BYTES[(m[2] ?? 'b').toLowerCase()]!;
  }
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 0 || (bytes === 0 && !options.allowZero)) {
    throw new Error(`expected a size such as 1048576, '512kb' or '1mb', got ${JSON.stringify(value)}`);
  }
  return bytes;
}
