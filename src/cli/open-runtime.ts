import type { RuntimeConfigFile } from '../options/runtime-config-file.ts';
import { cliRealms } from './realms.ts';
import { optionFlags } from './option-flags.ts';
import { createRuntime, type Runtime } from '../runtime/create-runtime.ts';
import type { RuntimeOptions } from '../runtime/runtime-options.ts';
import { ConfigError } from '../errors/index.ts';
import { ANY_TENANT, type TenantScope } from '../db/tenant-scope.ts';
import { checkSpanExporters, startTracing, type Tracing } from '../telemetry/start-tracing.ts';

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
 * The CLI is the operator's tool over a data dir it can read anyway, so
 * without `--tenant` it reads every tenant; with it, exactly as that tenant.
 */
export function scopeOf(tenant: string | undefined): TenantScope {
  if (tenant === undefined) return ANY_TENANT;
  if (tenant.trim() === '') throw new ConfigError('--tenant must not be empty');
  return tenant;
}
