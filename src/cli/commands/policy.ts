import type { Command } from 'commander';
import { compileMaterializationPolicy } from '../../policy/compile-policy.ts';
import { formatExplanation } from '../../policy/format-explanation.ts';
import { loadSolutionConfig } from '../../policy/solution-config.ts';
import { loadPlatformPolicy } from '../../policy/platform-policy.ts';
import { positiveInt } from '../input.ts';
import { printJson, printTable } from '../output.ts';

/** The policy a runtime started with these flags would use: solution config and platform policy (flag, then env). */
async function compile(config: string | undefined, cmd: Command) {
  const platformFile = (cmd.optsWithGlobals().platformPolicy as string | undefined) ?? (process.env.SYMPHAINY_PLATFORM_POLICY || undefined);
  return compileMaterializationPolicy({
    ...(config ? { solution: await loadSolutionConfig(config) } : {}),
    ...(platformFile ? { governance: (await loadPlatformPolicy(platformFile)).governance } : {}),
  });
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('inspect and check materialization policies');

  policy
    .command('explain')
    .description('which layer decides for an artifact, what every layer says, and why')
    .option('--config <file>', 'solution config (YAML); without it, the platform default policy')
    .requiredOption('--result-type <type>', 'result type of the hypothetical artifact, e.g. workflow')
    .option('--tenant <id>', 'tenant')
    .option('--intent-type <type>', 'intent type, e.g. journey.sop_to_workflow')
    .option('--realm <name>', 'realm name')
    .option('--size-bytes <n>', 'size of its renderings', positiveInt('--size-bytes'))
    .option('--tags <tags>', 'comma-separated tags')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const compiled = await compile(opts.config, cmd);
      const explanation = compiled.explain({
        resultType: opts.resultType,
        ...(opts.tenant ? { tenantId: opts.tenant } : {}),
        ...(opts.intentType ? { intentType: opts.intentType } : {}),
        ...(opts.realm ? { realm: opts.realm } : {}),
        ...(opts.sizeBytes ? { sizeBytes: opts.sizeBytes } : {}),
        ...(opts.tags ? { tags: String(opts.tags).split(',').map((t) => t.trim()).filter(Boolean) } : {}),
      });
      if (opts.json) return printJson(explanation);
      process.stdout.write(`${formatExplanation(explanation)}\n\n${explanation.result.reason}\n`);
    });

  policy
    .command('validate')
    .description('check a solution config file (or with --platform a platform policy file); prints the policy version')
    .argument('<file>', 'solution config (YAML)')
    .option('--platform', 'the file is a platform policy (governance rules)')
    .action(async (file: string, opts) => {
      const compiled = opts.platform
        ? compileMaterializationPolicy({ governance: (await loadPlatformPolicy(file)).governance })
        : compileMaterializationPolicy({ solution: await loadSolutionConfig(file) });
      process.stdout.write(`${file}: valid (policy ${compiled.version})\n`);
    });

  policy
    .command('show')
    .description('the effective decision for every result type the policy names')
    .option('--config <file>', 'solution config (YAML)')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const compiled = await compile(opts.config, cmd);
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
