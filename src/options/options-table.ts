import { OPTION_SPECS } from './runtime-option-specs.ts';

const code = (s: string | undefined) => (s ? `\`${s}\`` : '—');

/**
 * The README's options table, generated from {@link OPTION_SPECS}: one row
 * per option with its flag, environment variable, runtime config key,
 * `createRuntime` option and default. A test checks the README holds exactly this.
 */
export function optionsTable(): string {
  const rows = OPTION_SPECS.map((s) =>
    `| ${s.doc} | ${s.flags?.map(code).join(', ') ?? '—'} | ${code(s.env)} | ${code(s.file?.key)} | ${code(s.option)} | ${s.defaultText} |`);
  return [
    '| setting | flag | environment | runtime config key | `createRuntime` option | default |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '| group commit (`false`: a transaction per write) | — | — | `group_commit` | `groupCommit` | `{ maxBatch: 128, maxWaitMs: 0, maxConcurrentBatches: 4 }` (1 batch at once embedded) |',
    '| retry policy of queued executions | `--max-attempts`, `--retry-interval`, `--retry-max-interval`, `--non-retryable` | — | `retry_policy` | `retryPolicy` | 5 attempts, 1 s first interval, coefficient 2, at most 100 × the first |',
  ].join('\n');
}
