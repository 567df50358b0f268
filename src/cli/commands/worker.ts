import type { Command } from 'commander';
import { MAX_TIMER_SECONDS } from '../../policy/duration.ts';
import { DRAIN_TIMEOUT_ENV, within } from '../drain.ts';
import { durationMillis, positiveInt } from '../input.ts';
import { openRuntime } from '../lazy-runtime.ts';

/** A duration flag in milliseconds (`200ms`, `0.2`, `30s`), at most what a timer can wait. */
const durationMs = (flag: string) => durationMillis(flag, { subSecond: true, max: MAX_TIMER_SECONDS });

/**
 * The retry policy flags (each over the runtime config's `retry_policy`):
 * they apply to queued executions whose realm sets no policy of its own.
 */
export function addRetryPolicyOptions(cmd: Command): Command {
  return cmd
    .option('--max-attempts <n>', 'attempts of a queued execution before it is dead (default 5, or retry_policy.maximum_attempts)', positiveInt('--max-attempts', 1000))
    .option('--retry-interval <duration>', 'wait before the first retry, e.g. 1s (default 1s, or retry_policy.initial_interval)', durationMs('--retry-interval'))
    .option('--retry-max-interval <duration>', 'longest wait between attempts (default 100 × the first)', durationMs('--retry-max-interval'))
    .option('--non-retryable <code...>', 'failure codes never retried, e.g. SYM_ERR_REALM_RESULT');
}

export function registerWorker(program: Command): void {
  const worker = program
    .command('worker')
    .description('claim queued executions and run them until stopped (SIGINT/SIGTERM finish what was claimed, then exit)')
    .option('--concurrency <n>', 'executions run at once (default 4, or worker.concurrency)', positiveInt('--concurrency', 1024))
    .option('--lease <duration>', 'how long a claim holds without renewal, e.g. 30s (default 30s, or worker.lease)', durationMs('--lease'))
    .option('--poll-interval <duration>', 'pause when the queue is empty (default 1s, or worker.poll_interval)', durationMs('--poll-interval'))
    .option('--drain-timeout <duration>', `on SIGTERM/SIGINT, how long claimed executions may finish, e.g. 45s (default: realm timeout + 5s, or drain_timeout; env ${DRAIN_TIMEOUT_ENV})`, durationMs('--drain-timeout'))
    .option('--config <file>', 'solution config (materialization policy YAML)')
    .option('--realm <module...>', 'load realms from these modules too (repeatable)');
  addRetryPolicyOptions(worker)
    .action(async (opts, cmd: Command) => {
      // Loaded when the command runs, not to build the program.
      const [{ withRuntime }, { LONG_RUNNING_SWEEP_INTERVAL_SECONDS }] = await Promise.all([
        openRuntime(), import('../../options/runtime-option-specs.ts'),
      ]);
      // Every flag (retry policy ones too), variable and runtime config key goes through the runtime's compile step.
      await withRuntime({ ...cmd.optsWithGlobals(), realm: opts.realm, config: opts.config }, async (runtime) => {
        const o = runtime.options;
        const worker = runtime.startWorker({ concurrency: o.worker.concurrency, leaseMs: o.leaseMs, pollIntervalMs: o.worker.pollIntervalMs });
        const types = runtime.intents().map((i) => i.intentType);
        process.stderr.write(`worker ${worker.workerId}: claiming ${types.length} intent types; stop with Ctrl-C\n`);
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (signal: NodeJS.Signals) => {
            if (++signals > 1) process.exit(130); // a second signal: stop now; leases expire and others take over
            process.stderr.write(`worker ${worker.workerId}: ${signal}, finishing ${worker.stats.running} claimed executions\n`);
            const drainMs = o.drainTimeoutMs;
            void within(worker.stop(), drainMs).then((how) => {
              if (how === 'timeout') process.stderr.write(`worker ${worker.workerId}: drain timeout after ${drainMs} ms; cancelling what still runs\n`);
              resolve();
            });
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        const s = worker.stats;
        process.stderr.write(`worker ${s.workerId}: stopped after ${s.finished} executions (${s.lost} taken over by others)\n`);
      }, { sweepIntervalSeconds: LONG_RUNNING_SWEEP_INTERVAL_SECONDS }, { tracing: true });
    });
}
