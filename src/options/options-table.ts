import { DEFAULT_RETRY_POLICY } from '../policy/retry-policy.ts';
import { formatDuration } from '../policy/duration.ts';
import { DEFAULT_GROUP_COMMIT, OPTION_SPECS, type OptionSpec } from './runtime-option-specs.ts';

const code = (s: string | undefined) => (s ? `\`${s}\`` : '—');

/** A default as the table shows it, from the value and the unit in the option's name. */
export function defaultOf(spec: OptionSpec): string {
  const value = spec.default;
  if (value === undefined) return spec.defaultText ?? 'none';
  if (typeof value === 'number') {
    if (/Ms$/.test(spec.name)) return value === 0 ? 'none' : formatDuration(value / 1000);
    if (/Seconds$/.test(spec.name)) return formatDuration(value);
    if (/Bytes$/.test(spec.name)) return formatBytes(value);
    return String(value);
  }
  return `\`${String(value)}\``;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * The README's options table, generated from {@link OPTION_SPECS}: one row
 * per option with its flag, environment variable, runtime config key,
 * `createRuntime` option and default. A test checks the README holds exactly this.
 */
export function optionsTable(): string {
  const r = DEFAULT_RETRY_POLICY;
  const rows = OPTION_SPECS.map((s) =>
    `| ${s.doc} | ${s.flags?.map(code).join(', ') ?? '—'} | ${code(s.env)} | ${code(s.file?.key)} | ${code(s.option)} | ${defaultOf(s)} |`);
  return [
    '| setting | flag | environment | runtime config key | `createRuntime` option | default |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| group commit (\`false\`: a transaction per write) | — | — | \`group_commit\` | \`groupCommit\` | \`${JSON.stringify(DEFAULT_GROUP_COMMIT).replace(/"/g, '').replace(/[:,]/g, '$& ')}\` (1 batch at once embedded) |`,
    `| retry policy of queued executions | \`--max-attempts\`, \`--retry-interval\`, \`--retry-max-interval\`, \`--non-retryable\` | — | \`retry_policy\` | \`retryPolicy\` | ${r.maximumAttempts} attempts, ${r.initialIntervalMs / 1000} s first interval, coefficient ${r.backoffCoefficient}, at most ${r.maximumIntervalMs / r.initialIntervalMs} × the first |`,
  ].join('\n');
}
