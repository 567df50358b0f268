import type { Command } from 'commander';
import { ConfigError } from '../../errors/index.ts';
import type { Runtime } from '../../runtime/create-runtime.ts';
import { DRAIN_TIMEOUT_ENV, within } from '../drain.ts';
import { durationSeconds, positiveInt } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';

const durationMs = (flag: string) => (value: string) => durationSeconds(flag)(value) * 1000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the runtime over HTTP (tenant API keys; admin key from SYMPHAINY_ADMIN_KEY); Ctrl-C stops it')
    .option('--port <n>', `port to listen on, 0 for any free one (default 7070, or http.port)`, portNumber)
    .option('--host <address>', 'address to listen on (default 127.0.0.1, or http.host; 0.0.0.0 for every interface)')
    .option('--config <file>', 'solution config (materialization policy YAML)')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)')
    .option('--no-worker', 'do not run queued (?mode=async) intents in this process (other workers will)')
    .option('--worker-concurrency <n>', 'executions the in-process worker runs at once (default 4)', positiveInt('--worker-concurrency', 1024))
    .option('--demo', "ensure a tenant 'demo' exists and print its key with a curl example (the same key each start while it is valid)")
    .option('--drain-timeout <duration>', `on SIGTERM/SIGINT, how long in-flight requests and claimed executions may finish, e.g. 45s (default: realm timeout + 5s, or drain_timeout; env ${DRAIN_TIMEOUT_ENV})`, durationMs('--drain-timeout'))
    .action(async (opts, cmd: Command) => {
      // Loaded here, not to build the program: the HTTP server and the runtime are the heavy part of start-up.
      const [{ createHttpServer }, { withRuntime }, { LONG_RUNNING_SWEEP_INTERVAL_SECONDS }] = await Promise.all([
        import('../../http/server.ts'), openRuntime(), import('../../options/runtime-option-specs.ts'),
      ]);
      // Every flag, variable and runtime config key goes through the runtime's compile step.
      await withRuntime({ ...cmd.optsWithGlobals(), realm: opts.realm, config: opts.config }, async (runtime) => {
        const o = runtime.options;
        const adminKey = o.http.adminKey;
        const app = await createHttpServer(runtime, { adminKey, limits: o.http.limits, timeouts: o.http.timeouts, maxConnections: o.http.maxConnections });
        const worker = opts.worker ? runtime.startWorker({ concurrency: o.worker.concurrency, leaseMs: o.leaseMs }) : null;
        const { host, port } = o.http;
        const address = await app.listen({ port, host }).catch((err: NodeJS.ErrnoException) => {
          const why = err.code === 'EADDRINUSE' ? 'the port is in use (another serve? pick one with --port)' : err.message;
          throw new ConfigError(`cannot listen on ${host}:${port}: ${why}`, { cause: err });
        });
        const url = address.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
        const where = runtime.dataDir ? `embedded store in ${runtime.dataDir}` : `${runtime.storeKind} store`;
        process.stderr.write(
          `SymphAIny API on ${url} (${where}; ${runtime.intents().length} intent types; ` +
            `${worker ? 'queued intents run here' : 'no in-process worker'}; admin routes ${adminKey ? 'on' : 'off: set SYMPHAINY_ADMIN_KEY'})\n` +
            `OpenAPI: ${url}/openapi.json\nConsole: ${url}/console (sign in with a tenant key or the admin key)\n`,
        );
        if (opts.demo) process.stdout.write(await demoHint(runtime, url));
        const drainMs = o.drainTimeoutMs;
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        // A second signal: stop now (whatever runs is recorded interrupted at the next start or lease expiry).
        const now = () => process.exit(130);
        process.once('SIGINT', now);
        process.once('SIGTERM', now);
        process.stderr.write(`${signal}: stopping (finishing requests and claimed executions, at most ${drainMs} ms)\n`);
        // Stop accepting and claiming at once; in-flight requests and claims finish and are answered.
        const drained = Promise.all([app.close(), worker?.stop()]);
        if ((await within(drained, drainMs)) === 'timeout') {
          process.stderr.write(`drain timeout after ${drainMs} ms: cancelling what still runs (recorded SYM_ERR_RUNTIME_CLOSED)\n`);
          // Cancelled handlers answer their requests with SYM_ERR_RUNTIME_CLOSED; then the rest is cut.
          await within(runtime.close(), 5000);
          await within(drained, 1000);
          app.server.closeAllConnections();
          await drained;
        }
      }, { sweepIntervalSeconds: LONG_RUNNING_SWEEP_INTERVAL_SECONDS }, { tracing: true });
    });
}

/** The demo tenant's key (see {@link demoKey}) and a curl line to paste. */
async function demoHint(runtime: Runtime, url: string): Promise<string> {
  const { demoKey } = await import('../demo-key.ts');
  const key = await demoKey(runtime);
  const body = JSON.stringify({
    intentType: 'journey.sop_to_workflow',
    sessionId: 'session-1',
    parameters: { sop_text: '1. Receive the order\n2. Check stock\n3. Ship it' },
  });
  const note = key.reused
    ? `the same key as the last start, kept in ${key.file}`
    : `new${key.file ? `, kept in ${key.file} (0600) and printed again next start` : ''}` +
      (key.revoked.length ? `; earlier demo keys revoked: ${key.revoked.join(', ')}` : '');
  return (
    `\nTenant 'demo', API key (${note}): ${key.apiKey}\n\nTry:\n` +
    `  export KEY=${key.apiKey}\n` +
    `  curl -s -X POST ${url}/v1/intents -H "authorization: Bearer $KEY" -H 'content-type: application/json' \\\n` +
    `    -d '${body}'\n` +
    `  curl -s ${url}/v1/artifacts -H "authorization: Bearer $KEY"\n` +
    `  curl -sN ${url}/v1/events -H "authorization: Bearer $KEY"      # live events (Ctrl-C to stop)\n\n`
  );
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, got '${value}'`);
  }
  return n;
}
