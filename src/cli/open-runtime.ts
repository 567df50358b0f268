import type { RuntimeConfigFile } from '../options/runtime-config-file.ts';
import { cliRealms } from './realms.ts';
import { optionFlags } from './option-flags.ts';
import { createRuntime, type Runtime } from '../runtime/create-runtime.ts';
import type { RuntimeOptions } from '../runtime/runtime-options.ts';
import { ConfigError } from '../errors/index.ts';
import { ANY_TENANT, type TenantScope } from '../db/tenant-scope.ts';
import { checkSpanExporters, startTracing, type Tracing } from '../telemetry/start-tracing.ts';
import type { Db } from '../db/db.ts';

/** Options every command that opens the store shares (global flags plus `--realm`/`--config`). */
export interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
  artifacts?: string;
  s3Endpoint?: string;
  cache?: string;
  events?: string;
  runtimeConfig?: string | RuntimeConfigFile;
  platformPolicy?: string;
  realm?: string[];
  config?: string;
  logLevel?: string;
}


/**
 * Opens a runtime with the example realms and any `--realm` modules; closes
 * it after `fn`. `opts` are the command's options with the global ones
 * (`cmd.optsWithGlobals()`): every flag that sets a runtime option is
 * compiled with the others before anything opens.
 */
export async function withRuntime<T>(
  opts: StoreOptions, fn: (runtime: Runtime) => Promise<T>, extra: RuntimeOptions = {}, cli: { tracing?: boolean } = {},
): Promise<T> {
  // Before the runtime's own compile step, which takes every standard exporter (for an embedding
  // application's SDK): a command that exports spans takes only what it exports, and says so.
  if (cli.tracing) checkSpanExporters(process.env.OTEL_TRACES_EXPORTER);
  const realms = await cliRealms(opts.realm);
  const runtime = await createRuntime(
    {
      ...(typeof opts.runtimeConfig === 'object' ? { runtimeConfig: opts.runtimeConfig } : {}),
      ...(opts.config ? { solutionConfig: opts.config } : {}),
      realms,
      ...extra,
    },
    { flags: optionFlags(opts as Record<string, unknown>) },
  );
  let tracing: Tracing | undefined;
  try {
    // Span export from the standard OTEL_ variables (compiled with the other options): on for the commands that run executions.
    if (cli.tracing) tracing = await startTracing(runtime.options.telemetry);
    return await fn(runtime);
  } finally {
    await runtime.close();
    // After the runtime closed: the spans of executions it drained are exported too. A collector that
    // cannot be reached loses spans, not the command's result: said on stderr, the exit code stays.
    await tracing?.shutdown().catch((err: unknown) => {
      process.stderr.write(
        `warning: spans were not exported to ${tracing?.url} (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): ${(err as Error)?.message ?? String(err)}\n`,
      );
    });
  }
}

/**
 * Opens only the database the options name (migrated; the data dir locked)
 * — no key store, no realms, no background work, no recovery — for commands
 * that read what is stored as it is (`wal verify` hashes the sealed bytes),
 * so they work without the encryption keys. Closes it after `fn`.
 * @throws ConfigError for bad options; StoreError when the database cannot be opened.
 */
export async function withStore<T>(opts: StoreOptions, fn: (db: Db) => Promise<T>): Promise<T> {
  const [{ loadRuntimeOptions }, { openStore }, { defaultLogger }] = await Promise.all([
    import('../options/load-runtime-options.ts'), import('../runtime/open-store.ts'), import('../runtime/logger.ts'),
  ]);
  const o = await loadRuntimeOptions({
    options: typeof opts.runtimeConfig === 'object' ? { runtimeConfig: opts.runtimeConfig } : {},
    flags: optionFlags(opts as Record<string, unknown>),
    env: process.env,
  });
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const { db } = await openStore(undefined, o, defaultLogger(o.logLevel), cleanups);
    return await fn(db);
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => {});
  }
}

/**
 * The CLI is the operator's tool over a data dir it can read anyway, so
 * without `--tenant` it reads every tenant; with it, exactly as that tenant.
 */
export function scopeOf(tenant: string | undefined): TenantScope {
  if (tenant === undefined) return ANY_TENANT;
  if (tenant.trim() === '') throw new ConfigError('--tenant must not be empty');
  return tenant;
}
