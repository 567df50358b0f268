import { writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Scope } from '../../runtime/create-runtime.ts';
import { ExecutionStatus, type ExecutionQuery } from '../../store/state-surface.ts';
import { WalRecordType } from '../../store/write-ahead-log.ts';
import { ConfigError } from '../../errors/index.ts';
import { assertName } from '../../realm/rendering-name.ts';
import { MAX_TIMER_SECONDS, parseDuration } from '../../policy/duration.ts';
import { durationSeconds, positiveInt } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable, renderingJson } from '../output.ts';


const oneOf = (flag: string, allowed: readonly string[]) => (value: string) => {
  if (!allowed.includes(value)) throw new ConfigError(`${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value;
};

/** Read-only commands over the data dir: artifacts, executions, wal, cache, events, intents. */
export function registerInspect(program: Command): void {
  const artifacts = program.command('artifacts').description('persisted artifacts: their decision, lineage and renderings');
  artifacts
    .command('list')
    .option('--tenant <id>', 'only this tenant')
    .option('--execution <id>', 'only this execution')
    .option('--session <id>', 'only this session')
    .option('--result-type <type>', 'only this result type')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        rt.listArtifacts({
          tenantId: scopeOf(opts.tenant), executionId: opts.execution, sessionId: opts.session,
          resultType: opts.resultType, limit: opts.limit,
        }),
      );
      if (opts.json) return printJson(rows);
      const state = (a: (typeof rows)[number]) =>
        a.deleted ? `deleted (${a.deleted.reason})` : a.legalHold ? 'held' : a.retainUntil ? `until ${a.retainUntil.slice(0, 10)}` : 'kept';
      printTable(
        ['artifact id', 'tenant', 'type', 'key', 'layer', 'bytes', 'renderings', 'created', 'state'],
        rows.map((a) => [a.artifactId, a.tenantId, a.resultType, a.artifactKey, a.layer, a.sizeBytes,
          a.renderings.map((r) => r.name).join(','), a.createdAt, state(a)]),
      );
    });
  artifacts
    .command('get')
    .argument('<artifactId>')
    .option('--tenant <id>', 'read as this tenant')
    .option('--rendering <name>', 'print this rendering\'s bytes instead of the metadata')
    .option('--out <file>', 'with --rendering: write the bytes to this file')
    .option('--json', 'print JSON: the metadata (also the default), or with --rendering the rendering as text or base64')
    .action(async (artifactId: string, opts, cmd: Command) => {
      // An empty name is a name the rule refuses, not "no rendering asked for".
      if (opts.rendering !== undefined) assertName(opts.rendering, '--rendering', (m) => new ConfigError(m));
      if (opts.out && !opts.rendering) throw new ConfigError('--out needs --rendering NAME (the metadata is printed as JSON)');
      if (opts.out && opts.json) throw new ConfigError('use either --out or --json, not both (--out writes the rendering\'s bytes)');
      const { withRuntime, scopeOf } = await openRuntime();
      await withRuntime(cmd.optsWithGlobals(), async (rt) => {
        const scope: Scope = { tenantId: scopeOf(opts.tenant) };
        if (opts.rendering === undefined) return printJson(await rt.getArtifact(artifactId, scope));
        const { bytes, contentType } = await rt.readRendering(artifactId, opts.rendering, scope);
        if (opts.json) return printJson({ artifactId, ...renderingJson(opts.rendering, contentType, bytes) });
        if (!opts.out) return void process.stdout.write(bytes);
        try {
          await writeFile(opts.out, bytes);
        } catch (err) {
          throw new ConfigError(`--out ${opts.out}: ${(err as Error).message}`, { cause: err });
        }
      });
    });

  artifacts
    .command('hold')
    .argument('<artifactId>')
    .requiredOption('--reason <text>', 'why (recorded in the WAL), e.g. a case number')
    .option('--tenant <id>', 'as this tenant')
    .option('--json', 'print the artifact record as JSON')
    .description('place a legal hold: retention, retroactive policy and erasure leave the artifact alone until released')
    .action(async (artifactId: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const a = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.holdArtifact(artifactId, { tenantId: scopeOf(opts.tenant) }, opts.reason));
      if (opts.json) return printJson(a);
      process.stdout.write(`artifact ${a.artifactId} of tenant '${a.tenantId}' is held: ${a.legalHold!.reason}\n`);
    });
  artifacts
    .command('release')
    .argument('<artifactId>')
    .option('--tenant <id>', 'as this tenant')
    .option('--json', 'print the artifact record as JSON')
    .description('release a legal hold (retention applies again)')
    .action(async (artifactId: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const a = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.releaseArtifact(artifactId, { tenantId: scopeOf(opts.tenant) }));
      if (opts.json) return printJson(a);
      const when = a.retainUntil ? `retention ends ${a.retainUntil}` : 'no retention limit';
      process.stdout.write(`artifact ${a.artifactId} of tenant '${a.tenantId}' is no longer held (${when})\n`);
    });

  artifacts
    .command('keep')
    .argument('<cacheId>', 'a cached artifact (cache get lists them)')
    .requiredOption('--tenant <id>', 'its tenant')
    .option('--json', 'print the decision as JSON')
    .description("ask for a cached artifact to be persisted: the policy's promote permission decides; recorded either way")
    .action(async (cacheId: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const r = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.keepCached(cacheId, { tenantId: scopeOf(opts.tenant) as string }));
      if (!r.kept) process.exitCode = 1;
      if (opts.json) return printJson(r);
      process.stdout.write(r.kept ? `kept as ${r.artifactId}: ${r.reason}\n` : `not kept (${r.layer}): ${r.reason}\n`);
    });

  program
    .command('sweep')
    .description('delete renderings whose retention ended (tombstones and WAL records stay) and expired cache entries')
    .option('--json', 'print JSON')
    .option('--gc-grace <duration>', 'garbage collection spares unreferenced blob-store files younger than this (e.g. 1h, 30m, 0s) [default: the runtime\'s, 1h]')
    .action(async (opts, cmd: Command) => {
      const { withRuntime } = await openRuntime();
      const gcGraceSeconds = opts.gcGrace === undefined ? undefined : gcGraceOf(opts.gcGrace);
      const r = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.sweep(gcGraceSeconds === undefined ? {} : { gcGraceSeconds }));
      if (r.failures.length > 0 || r.garbage.failures.length > 0) process.exitCode = 1;
      if (opts.json) return printJson(r);
      const g = r.garbage;
      process.stdout.write(
        `swept at ${r.at}: ${r.deleted.length} artifacts deleted, ${r.cacheEntriesExpired} cache entries expired\n` +
          r.held.map((h) => `  kept by legal hold: ${h.artifactId} (tenant '${h.tenantId}'): ${h.reason}\n`).join('') +
          `${r.checkpoints.checkpointsDeleted} LangGraph checkpoints deleted (${r.checkpoints.writesDeleted} writes)\n` +
          r.checkpoints.heldThreads.map((h) => `  kept by legal hold: LangGraph thread ${h.threadId} (tenant '${h.tenantId}')\n`).join('') +
          r.failures.map((f) => `  blob removal failed, retried next sweep: ${f.artifactId}: ${f.message}\n`).join('') +
          (g.supported
            ? `garbage (unreferenced, older than ${g.graceSeconds} s): ${g.blobsRemoved} blobs, ${g.manifestsRemoved} manifests, ${g.tempFilesRemoved} temporary files removed; ${g.keptYoung} younger kept\n`
            : 'garbage collection: this blob store cannot list its files\n') +
          g.failures.map((f) => `  garbage removal failed, retried next sweep: ${f.key}: ${f.message}\n`).join(''),
      );
    });

  const executions = program.command('executions').description('executions in the state surface');
  executions
    .command('show')
    .argument('<executionId>')
    .option('--tenant <id>', 'read as this tenant')
    .option('--wait', 'wait until it is completed or failed (a queued or running execution)')
    .option('--wait-timeout <duration>', 'with --wait: give up after this long, e.g. 90s or 5m (bare numbers are seconds)', durationSeconds('--wait-timeout', { subSecond: true, max: MAX_TIMER_SECONDS }), 60)
    .option('--json', 'print JSON (also the default: the execution record has no table form)')
    .action(async (executionId: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const scope: Scope = { tenantId: scopeOf(opts.tenant) };
      const e = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        opts.wait ? rt.waitForExecution(executionId, scope, { timeoutMs: Math.round(opts.waitTimeout * 1000) }) : rt.getExecution(executionId, scope),
      );
      printJson(e);
      if (opts.wait && (e.status === 'failed' || e.status === 'dead')) process.exitCode = 1;
    });
  executions
    .command('list')
    .option('--tenant <id>', 'only this tenant')
    .option('--status <status>', 'only this status', oneOf('--status', Object.values(ExecutionStatus)))
    .option('--intent-type <type>', 'only this intent type')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 50)
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const query: ExecutionQuery = { tenantId: scopeOf(opts.tenant), status: opts.status, intentType: opts.intentType, limit: opts.limit };
      if (opts.json) return printJson(await withRuntime(cmd.optsWithGlobals(), (rt) => rt.listExecutions(query)));
      // The table shows no content, so it opens none: a record whose key is unreadable is listed like the others.
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.listExecutionSummaries(query));
      printTable(
        ['execution id', 'tenant', 'session', 'intent type', 'status', 'attempts', 'started'],
        rows.map((e) => [e.executionId, e.tenantId, e.sessionId, e.intentType, e.status, e.attempts, e.startedAt]),
      );
    });
  executions
    .command('retry')
    .argument('<executionId>')
    .option('--tenant <id>', 'as this tenant')
    .option('--json', 'print the execution record as JSON')
    .description('re-queue a dead or failed execution with a fresh attempt budget (recorded in the WAL with who asked)')
    .action(async (executionId: string, opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const requestedBy = `cli:${operator()}@${hostname()}`;
      const e = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.retryExecution(executionId, { tenantId: scopeOf(opts.tenant) }, { requestedBy }));
      if (opts.json) return printJson(e);
      process.stdout.write(`execution ${e.executionId} of tenant '${e.tenantId}' is queued again (after ${e.attempts} attempts); a worker runs it\n`);
    });

  const walCommand = program.command('wal').description('the write-ahead log');
  walCommand
    .command('verify')
    .description("check each tenant's hash chain; exit 1 at the first altered, missing or reordered record")
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const [{ withStore, scopeOf }, { verifyWal }] = await Promise.all([openRuntime(), import('../../store/wal-verify.ts')]);
      // The chain hashes what is stored (sealed bytes): verifying needs the database, not the keys.
      const reports = await withStore(cmd.optsWithGlobals(), (db) => verifyWal(db, scopeOf(opts.tenant)));
      if (reports.some((r) => !r.ok)) process.exitCode = 1;
      if (opts.json) return printJson(reports);
      if (reports.length === 0) return void process.stdout.write('no WAL records\n');
      for (const r of reports) {
        const skipped = r.unchained ? `, ${r.unchained} earlier records unchained` : '';
        process.stdout.write(
          r.ok
            ? `${r.tenantId}: OK (${r.records} records${skipped}; head ${r.headSha256 ?? '-'})\n`
            : `${r.tenantId}: TAMPERED${r.problem!.seq === null ? '' : ` at seq ${r.problem!.seq}`}: ${r.problem!.message}\n`,
        );
      }
    });
  walCommand
    .command('list')
    .option('--tenant <id>', 'only this tenant')
    .option('--execution <id>', 'only this execution')
    .option('--type <recordType>', 'only this record type', oneOf('--type', Object.values(WalRecordType)))
    .option('--after <seq>', 'only records after this position', positiveInt('--after'))
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 1000)
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        rt.listWal({ tenantId: scopeOf(opts.tenant), executionId: opts.execution, recordType: opts.type, afterSeq: opts.after, limit: opts.limit }),
      );
      if (opts.json) return printJson(rows);
      printTable(
        ['seq', 'tenant', 'execution', 'record', 'summary'],
        rows.map((r) => [r.seq, r.tenantId, r.executionId ?? '-', r.recordType, summarize(r.recordType, r.payload)]),
        90,
      );
    });

  program
    .command('cache')
    .description('cached artifacts (until their TTL passes)')
    .command('get')
    .option('--tenant <id>', 'only this tenant')
    .option('--session <id>', 'only this session')
    .option('--execution <id>', 'only this execution')
    .option('--key <artifactKey>', 'only this artifact key')
    .option('--id <cacheId>', 'only this cache entry')
    .option('--rendering <name>', 'print this rendering\'s bytes (needs exactly one match; with --json as text or base64)')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const entries = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        rt.getCached({ tenantId: scopeOf(opts.tenant), sessionId: opts.session, executionId: opts.execution, artifactKey: opts.key, cacheId: opts.id }),
      );
      if (opts.rendering) {
        if (entries.length !== 1) throw new ConfigError(`--rendering needs exactly one cached artifact; ${entries.length} match (narrow with --id)`);
        const r = entries[0]!.renderings.find((x) => x.name === opts.rendering);
        if (!r) throw new ConfigError(`cached artifact has no rendering '${opts.rendering}' (has: ${entries[0]!.renderings.map((x) => x.name).join(', ')})`);
        if (opts.json) return printJson({ cacheId: entries[0]!.cacheId, ...renderingJson(r.name, r.contentType, r.bytes) });
        return void process.stdout.write(r.bytes);
      }
      const view = entries.map((e) => ({ ...e, renderings: e.renderings.map((r) => renderingJson(r.name, r.contentType, r.bytes)) }));
      if (opts.json) return printJson(view);
      printTable(
        ['cache id', 'tenant', 'session', 'key', 'type', 'expires', 'renderings'],
        entries.map((e) => [e.cacheId, e.tenantId, e.sessionId, e.artifactKey, e.resultType, e.expiresAt, e.renderings.map((r) => r.name).join(',')]),
      );
    });

  program
    .command('events')
    .description('outbox events (realm and lifecycle)')
    .command('list')
    .option('--tenant <id>', 'only this tenant')
    .option('--execution <id>', 'only this execution')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 1000)
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const { withRuntime, scopeOf } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) =>
        rt.listEvents({ tenantId: scopeOf(opts.tenant), executionId: opts.execution, limit: opts.limit }),
      );
      if (opts.json) return printJson(rows);
      printTable(
        ['event id', 'type', 'source', 'tenant', 'execution', 'published'],
        rows.map((e) => [e.eventId, e.eventType, e.source, e.tenantId, e.executionId ?? '-', e.publishedAt ?? 'pending']),
      );
    });

  program
    .command('intents')
    .description('intent types the runtime can execute (example realms and --realm modules); opens no store')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      // The realms alone answer this: no data dir is opened, created or locked.
      const [{ cliRealms }, { IntentRegistry }] = await Promise.all([import('../realms.ts'), import('../../realm/intent-registry.ts')]);
      const registry = new IntentRegistry();
      for (const realm of await cliRealms(opts.realm)) registry.register(realm);
      const list = registry.list().map((i) => ({ intentType: i.intentType, realm: i.realm, description: i.definition.description ?? '' }));
      if (opts.json) return printJson(list);
      printTable(['intent type', 'realm', 'description'], list.map((i) => [i.intentType, i.realm, i.description]), 90);
    });
}

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function summarize(type: string, p: Record<string, unknown>): string {
  switch (type) {
    case WalRecordType.INTENT:
      return `intent ${(p.intent as { intentType?: string })?.intentType ?? ''}`;
    case WalRecordType.STATE_TRANSITION:
      return `${String(p.from)} -> ${String(p.to)}${p.error ? ` (${(p.error as { code: string }).code})` : ''}`;
    case WalRecordType.GOVERNANCE_DECISION:
      if (p.kind === 'budget') return `budget '${String(p.ruleId)}': ${String(p.decision)} by ${String(p.layer)}`;
      return `${String(p.artifactKey)} (${String(p.resultType)}): ${String(p.decision)} by ${String(p.layer)}`;
    case WalRecordType.INTENT_REJECTED:
      return `rejected: ${(p.error as { code: string })?.code ?? ''}`;
    default:
      return '';
  }
}

/** `--gc-grace`: a duration (`1h`, `90s`, `0s`) as seconds. */
function gcGraceOf(value: string): number {
  // 0: collect every unreferenced file now (only safe while nothing writes artifacts).
  if (/^\s*0+\s*[smhd]?\s*$/.test(value)) return 0;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new ConfigError(`--gc-grace ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}
