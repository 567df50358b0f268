import type { Command } from 'commander';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson } from '../output.ts';
import { parseSubjectFlag, requireExistingStore, requireKnownTenant } from '../store-checks.ts';
import type { ErasureReport } from '../../erasure/erase.ts';

export function registerErase(program: Command): void {
  program
    .command('erase')
    .description('erase a tenant, session or subject everywhere it is kept; writes one erasure record (counts and ids, no content)')
    .requiredOption('--tenant <id>', 'the tenant whose data to erase')
    .option('--session <id>', 'only this session')
    .option('--subject <key=value>', "only executions whose intent parameter KEY equals VALUE (e.g. customer_id=42)")
    .option('--json', 'print the erasure report as JSON')
    .action(async (opts, cmd: Command) => {
      const subject = opts.subject !== undefined ? parseSubjectFlag(opts.subject) : undefined;
      const g = cmd.optsWithGlobals();
      // A mistyped data dir or tenant would otherwise report "0 erased" as if it had worked.
      requireExistingStore('erase', g);
      const { withRuntime } = await openRuntime();
      const r = await withRuntime(g, async (rt) => {
        await requireKnownTenant('erase', rt, String(opts.tenant));
        return rt.erase({ tenantId: opts.tenant, ...(opts.session ? { sessionId: opts.session } : {}), ...(subject ? { subject } : {}) });
      });
      if (r.held.length > 0 || r.unfinished.length > 0 || r.blobFailures.length > 0 || r.checkpoints.threadsHeld.length > 0) process.exitCode = 1;
      if (opts.json) return printJson(r);
      if (nothingMatched(r)) {
        const what = subject ? `subject ${subject.key}=${subject.value}` : opts.session ? `session '${opts.session}'` : 'the tenant';
        return void process.stdout.write(
          `${r.erasureId}: nothing matched: no execution, artifact, cache entry, WAL record, event, LangGraph thread or data key of ${what} ` +
            `was found in tenant '${opts.tenant}' (check the ${subject ? 'subject value' : opts.session ? 'session id' : 'tenant id'}); nothing was erased\n`,
        );
      }
      process.stdout.write(
        `${r.erasureId}: ${r.executions.length} executions erased, ${r.artifactsDeleted.length} artifacts deleted, ` +
          `${r.cacheEntriesRemoved} cache entries removed, ${r.walRecordsRedacted} WAL records and ${r.outboxEventsRedacted} events redacted\n` +
          `${r.checkpoints.threadsErased.length} LangGraph threads erased (${r.checkpoints.checkpointsDeleted} checkpoints, ${r.checkpoints.writesDeleted} writes)\n` +
          r.held.map((h) => `  kept by legal hold: ${h.artifactId}: ${h.reason}\n`).join('') +
          r.checkpoints.threadsHeld.map((t) => `  kept by legal hold: LangGraph thread ${t}\n`).join('') +
          (r.unfinished.length ? `  still queued, running or waiting, not erased (erase again later): ${r.unfinished.join(', ')}\n` : '') +
          (r.keys.destroyed.length ? `  data keys destroyed: ${r.keys.destroyed.join(', ')}\n` : '') +
          (r.keys.kept ? `  ${r.keys.kept}\n` : '') +
          (r.keys.fallback ? `  ${r.keys.fallback}\n` : '') +
          r.blobFailures.map((f) => `  blob removal failed, retried by the sweep: ${f.artifactId}: ${f.message}\n`).join('') +
          (r.traceIdsWithContent.length
            ? `  traces that carried this content (purge them in your tracing backend): ${r.traceIdsWithContent.join(', ')}\n`
            : ''),
      );
    });
}

/** An erasure that found nothing of its scope: said plainly, not as a row of zeros. */
function nothingMatched(r: ErasureReport): boolean {
  return r.executions.length === 0 && r.unfinished.length === 0 && r.artifactsDeleted.length === 0 && r.held.length === 0 &&
    r.cacheEntriesRemoved === 0 && r.walRecordsRedacted === 0 && r.outboxEventsRedacted === 0 && r.keys.destroyed.length === 0 &&
    r.keys.kept === undefined && r.checkpoints.threadsErased.length === 0 && r.checkpoints.threadsHeld.length === 0 &&
    r.checkpoints.checkpointsDeleted === 0 && r.checkpoints.writesDeleted === 0;
}
