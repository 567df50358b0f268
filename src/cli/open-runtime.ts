import type { Command } from 'commander';
import { exampleRealms } from '../examples/realms.ts';
import { RETRY_FLAGS } from '../options/compile-runtime-options.ts';
import { OPTION_SPECS } from '../options/runtime-option-specs.ts';
import type { RuntimeConfigFile } from '../options/runtime-config-file.ts';
import { loadRealmModule } from '../realm/load-realm-module.ts';
import { createRuntime, type Runtime } from '../runtime/create-runtime.ts';
import type { RuntimeOptions } from '../runtime/runtime-options.ts';
import { ConfigError } from '../errors/index.ts';
import { ANY_TENANT, type TenantScope } from '../db/tenant-scope.ts';

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

/** The global flags that say where the runtime keeps things; each also has an env var and a config-file key. */
export function addBackendOptions(program: Command): Command {
  return program
    .option('--data-dir <dir>', 'embedded database and default blob folder; env SYMPHAINY_DATA_DIR (default ./.symphainy)')
    .option('--database-url <url>', 'PostgreSQL server instead of the embedded store; env SYMPHAINY_DATABASE_URL')
    .option('--artifacts <where>', 'artifact renderings: s3://bucket/prefix or a directory; env SYMPHAINY_ARTIFACTS')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// artifacts; env SYMPHAINY_S3_ENDPOINT')
    .option('--cache <where>', "cache tier: redis://host:port or 'embedded'; env SYMPHAINY_CACHE")
    .option('--events <url>', 'also publish events to NATS JetStream (nats://host:port); env SYMPHAINY_EVENTS')
    .option('--platform-policy <file>', 'platform policy YAML (governance rules above every solution); env SYMPHAINY_PLATFORM_POLICY')
    .option('--runtime-config <file>', 'runtime config YAML with the same keys (flags and env win); env SYMPHAINY_RUNTIME_CONFIG');
}

/**
 * The flags that set runtime options, by flag name, from commander's parsed
 * options (`dataDir` → `--data-dir`): they go through the runtime's one
 * compile step, whose errors name them as flags.
 */
export function optionFlags(opts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of RUNTIME_FLAGS) {
    const value = opts[camelCase(name)];
    if (value !== undefined) flags[name] = value;
  }
  return flags;
}

/** Every flag that sets a runtime option (global ones, `serve`'s and `worker`'s). */
const RUNTIME_FLAGS: readonly string[] = [
  ...new Set([...OPTION_SPECS.flatMap((s) => s.flags ?? []), ...Object.keys(RETRY_FLAGS)]),
];

const camelCase = (flag: string) => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Opens a runtime with the example realms and any `--realm` modules; closes
 * it after `fn`. `opts` are the command's options with the global ones
 * (`cmd.optsWithGlobals()`): every flag that sets a runtime option is
 * compiled with the others before anything opens.
 */
export async function withRuntime<T>(opts: StoreOptions, fn: (runtime: Runtime) => Promise<T>, extra: RuntimeOptions = {}): Promise<T> {
  const realms = [...exampleRealms];
  for (const path of opts.realm ?? []) realms.push(...(await loadRealmModule(path)));
  const runtime = await createRuntime(
    {
      ...(typeof opts.runtimeConfig === 'object' ? { runtimeConfig: opts.runtimeConfig } : {}),
      ...(opts.config ? { solutionConfig: opts.config } : {}),
      realms,
      ...extra,
    },
    { flags: optionFlags(opts as Record<string, unknown>) },
  );
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
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
