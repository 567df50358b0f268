import type { Command } from 'commander';

/**
 * The global flags that say where the runtime keeps things; each also has an
 * env var and a config-file key. Kept apart from open-runtime.ts so that
 * building the program (and `--help`) loads no runtime.
 */
export function addBackendOptions(program: Command): Command {
  return program
    .option('--data-dir <dir>', 'embedded database and default blob folder; env SYMPHAINY_DATA_DIR (default ./.symphainy)')
    .option('--database-url <url>', 'PostgreSQL server instead of the embedded store; env SYMPHAINY_DATABASE_URL')
    .option('--artifacts <where>', 'artifact renderings: s3://bucket/prefix or a directory; env SYMPHAINY_ARTIFACTS')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// artifacts; env SYMPHAINY_S3_ENDPOINT')
    .option('--cache <where>', "cache tier: redis://host:port, rediss://host:port (TLS) or 'embedded'; env SYMPHAINY_CACHE")
    .option('--events <url>', 'also publish events to NATS JetStream (nats://host:port); env SYMPHAINY_EVENTS')
    .option('--platform-policy <file>', 'platform policy YAML (governance rules above every solution); env SYMPHAINY_PLATFORM_POLICY')
    .option('--runtime-config <file>', 'runtime config YAML with the same keys (flags and env win); env SYMPHAINY_RUNTIME_CONFIG');
}
