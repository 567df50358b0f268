import type { Command } from 'commander';
import { ConfigError, NotFoundError } from '../../errors/index.ts';
import { SAFE_ID } from '../../intent/intent.ts';
import type { Runtime } from '../../runtime/runtime-api.ts';
import type { TenantCheckpoints } from '../../checkpoints/checkpoint-governance.ts';
import { positiveInt } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';
import { requireExistingStore, requireKnownTenant } from '../store-checks.ts';

/** As the HTTP API bounds a hold's reason. */
const MAX_REASON = 500;

/** The flags every `checkpoints` command takes: whose thread. */
interface ThreadFlags {
  readonly tenant: string;
  readonly thread: string;
}

/** Refuses a malformed --thread before anything opens, naming the flag (--tenant is checked for every command at start). */
function checkFlags(command: string, opts: ThreadFlags): void {
  if (!SAFE_ID.test(opts.thread)) {
    throw new ConfigError(`${command}: --thread must be a thread id (letters, digits, . _ - : @; at most 128), got '${opts.thread.slice(0, 100)}'`);
  }
}

/**
 * Opens the store (which must exist: a mistyped data dir is not "no
 * thread"), checks the tenant is known and, unless `anyThread`, that it has
 * the thread, then runs `fn` on the tenant's checkpoints.
 */
async function withThread<T>(
  command: string, opts: ThreadFlags, cmd: Command, fn: (checkpoints: TenantCheckpoints, rt: Runtime) => Promise<T>, anyThread = false,
): Promise<T> {
  checkFlags(command, opts);
  const g = cmd.optsWithGlobals();
  requireExistingStore(command, g);
  const { withRuntime } = await openRuntime();
  return withRuntime(g, async (rt) => {
    await requireKnownTenant(command, rt, opts.tenant);
    const checkpoints = rt.checkpoints(opts.tenant);
    if (!anyThread && !(await checkpoints.hasThread(opts.thread))) {
      throw new NotFoundError('thread', opts.thread, `tenant '${opts.tenant}' has no checkpoints, writes or legal hold for it`);
    }
    return fn(checkpoints, rt);
  });
}

/** `symphainy checkpoints`: a LangGraph thread's checkpoints, their decisions explained, legal holds — never their content. */
export function registerCheckpoints(program: Command): void {
  const checkpoints = program.command('checkpoints').description('LangGraph checkpoints of a thread: their decisions and legal holds (never their content)');
  checkpoints
    .command('list')
    .description("a thread's checkpoints, newest first, each with its recorded decision; and the thread's legal hold")
    .requiredOption('--tenant <id>', 'the tenant whose thread it is')
    .requiredOption('--thread <id>', 'the LangGraph thread id (configurable.thread_id)')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const thread = await withThread('checkpoints list', opts, cmd, async (c) => (await c.thread(opts.thread, { limit: opts.limit }))!);
      if (opts.json) return printJson(thread);
      process.stdout.write(`thread ${thread.threadId} of tenant '${opts.tenant}': ${thread.legalHold ? `held since ${thread.legalHold.since}: ${thread.legalHold.reason}` : 'not held'}\n`);
      const until = (c: (typeof thread.checkpoints)[number]) => c.expiresAt ? `expires ${c.expiresAt}` : c.retainUntil ? `until ${c.retainUntil.slice(0, 10)}` : 'kept';
      printTable(
        ['checkpoint id', 'namespace', 'parent', 'created', 'decision', 'layer', 'kept'],
        thread.checkpoints.map((c) => [c.checkpointId, c.checkpointNs || '(root)', c.parentCheckpointId ?? '-', c.createdAt, c.decision, c.layer ?? '-', until(c)]),
      );
    });
  checkpoints
    .command('explain')
    .description("a checkpoint's recorded decision and every layer's verdict under the policy that decided (discarded ones too)")
    .requiredOption('--tenant <id>', 'the tenant whose thread it is')
    .requiredOption('--thread <id>', 'the LangGraph thread id (configurable.thread_id)')
    .requiredOption('--checkpoint <id>', "the checkpoint's id")
    .option('--ns <namespace>', "the checkpoint's namespace (a subgraph's path); default: the root graph", '')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      if (String(opts.checkpoint).trim() === '') throw new ConfigError('checkpoints explain: --checkpoint must not be empty');
      const [e, { decisionText }] = await Promise.all([
        // A discarded checkpoint left only its decision: the thread need not have anything stored.
        withThread('checkpoints explain', opts, cmd, (c) => c.explain(opts.thread, opts.checkpoint, opts.ns), true),
        import('../../policy/policy-reasons.ts'),
      ]);
      if (opts.json) return printJson(e);
      const r = e.recorded;
      const chain = e.chain
        ? e.chain.map((v) => `${v.layer === r.layer ? '*' : ' '} ${v.layer.padEnd(11)} ${(v.decision ?? '-').padEnd(8)} ${v.said}`)
        : [];
      process.stdout.write([
        `checkpoint ${e.checkpointId}${e.checkpointNs ? ` (${e.checkpointNs})` : ''} of thread ${e.threadId} -> ${decisionText(r.decision, r.ttlSeconds)} by ${r.layer}` +
          `${r.ruleId ? ` rule '${r.ruleId}'` : ''}, policy ${r.policyVersion}${r.pruned ? `; ${r.pruned} older pruned` : ''}`,
        ...chain, ...(e.note ? [`  note: ${e.note}`] : []), `  reason: ${r.reason}`,
      ].join('\n') + '\n');
    });
  checkpoints
    .command('hold')
    .description('place a legal hold on a thread: keep_latest, the sweep, erasure and deleteThread leave it alone until released')
    .requiredOption('--tenant <id>', 'the tenant whose thread it is')
    .requiredOption('--thread <id>', 'the LangGraph thread id (configurable.thread_id)')
    .requiredOption('--reason <text>', 'why (recorded in the WAL), e.g. a case number')
    .option('--json', 'print the hold as JSON')
    .action(async (opts, cmd: Command) => {
      const reason = String(opts.reason).trim();
      if (reason === '' || reason.length > MAX_REASON) {
        throw new ConfigError(`checkpoints hold: --reason must be 1 to ${MAX_REASON} characters (it is recorded in the WAL), got ${reason.length}`);
      }
      const held = await withThread('checkpoints hold', opts, cmd, (c) => c.hold(opts.thread, opts.reason));
      const view = { threadId: held.threadId, legalHold: { reason: held.reason, since: held.since } };
      if (opts.json) return printJson(view);
      process.stdout.write(`thread ${held.threadId} of tenant '${opts.tenant}' is held: ${held.reason}\n`);
    });
  checkpoints
    .command('release')
    .description("release a thread's legal hold (retention and keep_latest apply again)")
    .requiredOption('--tenant <id>', 'the tenant whose thread it is')
    .requiredOption('--thread <id>', 'the LangGraph thread id (configurable.thread_id)')
    .option('--json', 'print the thread as JSON')
    .action(async (opts, cmd: Command) => {
      await withThread('checkpoints release', opts, cmd, (c) => c.release(opts.thread));
      if (opts.json) return printJson({ threadId: opts.thread, legalHold: null });
      process.stdout.write(`thread ${opts.thread} of tenant '${opts.tenant}' is no longer held\n`);
    });
}
