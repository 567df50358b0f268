import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { PolicyResolver, ResolverInput } from '../../policy/policy-resolver.ts';
import type { PolicyExplanation } from '../../policy/compile-policy.ts';
import { ConfigError, DataDirLockedError } from '../../errors/index.ts';
import { formatDuration } from '../../policy/duration.ts';
import { durationSeconds, positiveInt } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';

// Loaded when a command runs, not to build the program: only the commands
// that read recorded data (or the active policy of an existing store) open one.
const resolverModule = () => import('../../policy/policy-resolver.ts');

/** The platform policy file of these flags (flag, then env), if any; read through the options compile step. */
async function platformOf(cmd: Command): Promise<string | undefined> {
  const [{ compileRuntimeOptions }, { optionFlags }] = await Promise.all([
    import('../../options/compile-runtime-options.ts'), import('../option-flags.ts'),
  ]);
  return compileRuntimeOptions({ flags: optionFlags(cmd.optsWithGlobals()), env: process.env }).platformPolicy;
}

/** The policy set a runtime started with these flags would use: solution config and platform policy (with its tenants, solutions and bounds). */
async function compile(config: string | undefined, cmd: Command, platform?: string): Promise<PolicyResolver> {
  const { loadPolicyResolver } = await resolverModule();
  return loadPolicyResolver({ solution: config, platform: platform ?? (await platformOf(cmd)) });
}

/**
 * Where the policy a runtime started with these flags would use comes from,
 * when neither `--config` nor a platform policy flag names it: the runtime
 * config's `platform_policy`, else the active policy of the store — when
 * there is a store. A data dir that does not exist has no active policy, so
 * it is neither created nor locked: the default policy is described.
 */
async function policySource(cmd: Command): Promise<{ platform: string | undefined } | 'store'> {
  const g = cmd.optsWithGlobals();
  const [{ loadRuntimeConfig }, { resolveBackendSettings }] = await Promise.all([
    import('../../runtime/runtime-config.ts'), import('../../runtime/backends.ts'),
  ]);
  const configPath = (g.runtimeConfig as string | undefined) ?? (process.env.SYMPHAINY_RUNTIME_CONFIG || undefined);
  const file = configPath ? await loadRuntimeConfig(configPath) : undefined;
  if (file?.platformPolicy) return { platform: file.platformPolicy };
  const settings = resolveBackendSettings({ dataDir: g.dataDir as string | undefined, databaseUrl: g.databaseUrl as string | undefined }, file);
  if (settings.databaseUrl || existsSync(join(settings.dataDir, 'db'))) return 'store';
  return { platform: undefined };
}

/**
 * The policy set to describe: the one the files name, or — with neither
 * `--config` nor a platform policy — the one runs actually use: the active
 * policy (`policy apply`) of the store, else the default (see {@link policySource}).
 */
async function describedPolicy<T>(config: string | undefined, cmd: Command, fn: (resolver: PolicyResolver) => T): Promise<T> {
  if (config !== undefined || (await platformOf(cmd)) !== undefined) return fn(await compile(config, cmd));
  const source = await policySource(cmd);
  if (source !== 'store') return fn(await compile(undefined, cmd, source.platform));
  const { withRuntime } = await openRuntime();
  try {
    return await withRuntime(cmd.optsWithGlobals(), async (rt) => fn(rt.resolver));
  } catch (err) {
    // The active policy lives in the store; the files need none.
    if (err instanceof DataDirLockedError) throw new DataDirLockedError(`${err.message}; or describe policy files with --config (and --platform-policy), which opens no store`, { cause: err });
    throw err;
  }
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('inspect and check materialization policies');

  policy
    .command('explain')
    .description('which layer decides for an artifact, what every layer says, and why (a hypothetical one, or every artifact of --execution)')
    .option('--execution <id>', "a recorded execution: each artifact's decision and every layer's verdict under the policy that decided")
    .option('--config <file>', 'solution config (YAML); without it (and without --platform-policy), the active policy runs use')
    .option('--result-type <type>', 'result type of the hypothetical artifact, e.g. workflow')
    .option('--tenant <id>', 'tenant (its own config, when the platform policy attaches one)')
    .option('--solution <id>', "the intent's solution id (its config, when the platform policy attaches one)")
    .option('--intent-type <type>', 'intent type, e.g. journey.sop_to_workflow')
    .option('--realm-name <name>', 'realm name (--realm names realm modules to load elsewhere)')
    .option('--size-bytes <n>', 'size of its renderings', positiveInt('--size-bytes'))
    .option('--tags <tags>', 'comma-separated tags')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      if (opts.execution !== undefined) return explainRecorded(opts.execution, opts, cmd);
      if (opts.resultType === undefined) throw new ConfigError('policy explain needs --result-type TYPE (a hypothetical artifact) or --execution ID');
      const input: ResolverInput = {
        resultType: opts.resultType,
        ...(opts.solution ? { solutionId: opts.solution } : {}),
        ...(opts.tenant ? { tenantId: opts.tenant } : {}),
        ...(opts.intentType ? { intentType: opts.intentType } : {}),
        ...(opts.realmName ? { realm: opts.realmName } : {}),
        ...(opts.sizeBytes ? { sizeBytes: opts.sizeBytes } : {}),
        ...(opts.tags ? { tags: String(opts.tags).split(',').map((t) => t.trim()).filter(Boolean) } : {}),
      };
      const explanation: PolicyExplanation = await describedPolicy(opts.config, cmd, (resolver) => resolver.explain(input));
      if (opts.json) return printJson(explanation);
      const { formatExplanation } = await import('../../policy/format-explanation.ts');
      process.stdout.write(`${formatExplanation(explanation)}\n\n${explanation.result.reason}\n`);
    });

  policy
    .command('diff')
    .description('what a candidate policy would change: every recorded decision re-evaluated, per tenant and result type (nothing is changed)')
    .option('--config <file>', 'the candidate solution config (with --platform-policy: the candidate governance rules)')
    .option('--since <duration>', 'only decisions recorded in this window, e.g. 7d or 12h', durationSeconds('--since'))
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const [files, { keepAttached }, { scopeOf, withRuntime }] = await Promise.all([compile(opts.config, cmd), resolverModule(), openRuntime()]);
      const progress = process.stderr.isTTY && !opts.json
        ? (done: number, total: number) => process.stderr.write(`\rre-evaluating recorded decisions: ${done}/${total}${total ? ` (${Math.floor((done / total) * 100)}%)` : ''}`)
        : undefined;
      // The runtime opened here has the candidate as its own policy: keep what is attached in the store's active one.
      const diff = await withRuntime(cmd.optsWithGlobals(), async (rt) =>
        rt.diffPolicy(keepAttached(files, await rt.inForcePolicy()), {
          tenantId: scopeOf(opts.tenant),
          ...(opts.since ? { since: new Date(Date.now() - opts.since * 1000) } : {}),
          ...(progress ? { onProgress: progress } : {}),
        }),
      );
      if (progress) process.stderr.write('\n');
      if (opts.json) return printJson(diff);
      const moved = diff.moves.reduce((n, m) => n + m.count, 0);
      process.stdout.write(
        `candidate policy ${diff.candidateVersion}: ${diff.scanned} recorded decisions re-evaluated${opts.since ? ` (recorded in the last ${formatDuration(opts.since)})` : ''}, ` +
          `${diff.unchanged} unchanged, ${moved} would change${diff.skipped ? `, ${diff.skipped} skipped (inputs erased)` : ''}\n\n`,
      );
      if (diff.moves.length === 0) return;
      printTable(
        ['tenant', 'result type', 'from', 'to', 'artifacts', 'bytes'],
        diff.moves.map((m) => [m.tenantId, m.resultType, m.from, m.to, m.count, m.bytes]),
      );
      for (const m of diff.moves) {
        for (const e of m.examples) {
          process.stdout.write(
            `  ${m.tenantId} ${m.resultType} ${m.from}->${m.to}: execution ${e.executionId ?? '-'} '${e.artifactKey}'${e.artifactId ? ` (${e.artifactId})` : ''}, ` +
              `recorded ${e.recordedAt}; now ${e.nowLayer}${e.ruleId ? ` rule '${e.ruleId}'` : ''}: ${e.nowReason}\n`,
          );
        }
      }
    });

  policy
    .command('apply')
    .description('make a policy the active one (recorded in the WAL); runtimes without a policy of their own switch to it, running ones too')
    .option('--config <file>', 'the solution config to activate (with --platform-policy: its governance rules)')
    .option('--retroactive', 're-apply it to stored artifacts: delete renderings it discards (tombstones stay, legal holds win), recompute retention')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const [policy, { keepAttached }, { withRuntime }] = await Promise.all([compile(opts.config, cmd), resolverModule(), openRuntime()]);
      const r = await withRuntime(cmd.optsWithGlobals(), async (rt) => rt.applyPolicy(keepAttached(policy, await rt.inForcePolicy()), { retroactive: opts.retroactive === true }));
      if (r.blobFailures.length > 0) process.exitCode = 1;
      if (opts.json) return printJson(r);
      process.stdout.write(`policy ${r.policyVersion} is active from ${r.at}\n`);
      if (!r.retroactive) return;
      process.stdout.write(
        `retroactively: ${r.checked} stored artifacts re-evaluated, ${r.deleted.length} deleted, ${r.retentionChanged} with new retention, ` +
          `${r.leftPersisted} left persisted (now cached by policy), ${r.skipped} skipped (inputs erased)\n` +
          r.held.map((h) => `  kept by legal hold: ${h.artifactId}: ${h.reason}\n`).join('') +
          r.blobFailures.map((f) => `  blob removal failed, retried by the sweep: ${f.artifactId}: ${f.message}\n`).join(''),
      );
    });

  policy
    .command('validate')
    .description('check a solution config file (or with --platform a platform policy file); prints the policy version')
    .argument('<file>', 'solution config (YAML)')
    .option('--platform', 'the file is a platform policy (governance rules)')
    .option('--json', 'print JSON: the file, its kind and the policy version')
    .action(async (file: string, opts) => {
      const { loadPolicyResolver } = await resolverModule();
      const compiled = await loadPolicyResolver(opts.platform ? { platform: file } : { solution: file });
      if (opts.json) return printJson({ file, kind: opts.platform ? 'platform' : 'solution', valid: true, policyVersion: compiled.version });
      process.stdout.write(`${file}: valid (policy ${compiled.version})\n`);
    });

  policy
    .command('show')
    .description('the effective decision for every result type the policy names (for a tenant and solution: under their configs)')
    .option('--config <file>', 'solution config (YAML); without it (and without --platform-policy), the active policy runs use')
    .option('--tenant <id>', 'as decided for this tenant (its own config, when attached)')
    .option('--solution <id>', 'as decided for intents of this solution (its config, when attached)')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const compiled = await describedPolicy(opts.config, cmd, (resolver) => resolver.resolve(opts.tenant, opts.solution));
      const description = compiled.describe();
      if (opts.json) return printJson(description);
      process.stdout.write(`policy ${compiled.version}\n`);
      printTable(
        ['result type', 'decision', 'layer', 'ttl (s)', 'reason'],
        [
          ...description.types.map((t) => [t.resultType, t.decision, t.layer, t.ttlSeconds ?? '', t.reason]),
          ['(any other)', description.otherTypes.decision, description.otherTypes.layer, description.otherTypes.ttlSeconds ?? '', 'no layer names it'],
        ],
        100,
      );
    });
}

/** `policy explain --execution ID`: the recorded decisions of one execution, each with its chain of layers. */
async function explainRecorded(executionId: string, opts: { tenant?: string; json?: boolean; resultType?: string }, cmd: Command): Promise<void> {
  if (opts.resultType !== undefined) throw new ConfigError('use --execution or --result-type, not both');
  const [{ scopeOf, withRuntime }, { decisionText }] = await Promise.all([openRuntime(), import('../../policy/policy-reasons.ts')]);
  const explained = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.explainExecution(executionId, { tenantId: scopeOf(opts.tenant) }));
  if (opts.json) return printJson(explained);
  const blocks = explained.artifacts.map((a) => {
    const r = a.recorded;
    const head = `${a.artifactKey} (${a.resultType}) -> ${decisionText(r.decision, r.ttlSeconds)} by ${r.layer}${r.ruleId ? ` rule '${r.ruleId}'` : ''}, policy ${r.policyVersion}`;
    const inputs = a.inputs === null ? '  inputs: (erased)' : `  inputs: ${Object.entries(a.inputs).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ')}`;
    const chain = a.chain
      ? a.chain.map((v) => `${v.layer === r.layer ? '*' : ' '} ${v.layer.padEnd(11)} ${(v.decision ?? '-').padEnd(8)} ${v.said}`)
      : [];
    return [head, inputs, ...chain, ...(a.note ? [`  note: ${a.note}`] : []), `  reason: ${r.reason}`].join('\n');
  });
  // Budgets that stopped the execution come first: they are why it has no artifacts.
  for (const b of [...explained.budgets].reverse()) blocks.unshift(`budget rule '${b.ruleId}' -> fail (${b.when}), by platform\n  reason: ${b.reason}`);
  process.stdout.write(`${blocks.length ? blocks.join('\n\n') : `execution ${executionId} has no materialization decisions`}\n`);
}
