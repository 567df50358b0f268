import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from '../errors/index.ts';
import { durationOption, MAX_TIMER_SECONDS } from '../policy/duration.ts';
import { LeaseLostError, type ClaimedRun, type ExecutionLifecycleManager } from '../execution/lifecycle-manager.ts';

export interface WorkerOptions {
  /** Executions run at once. @default 4 */
  readonly concurrency?: number;
  /** How long a claim holds without renewal; renewed every third of it while running. @default 30000 */
  readonly leaseMs?: number;
  /** Milliseconds between looks at an empty queue. @default 500 */
  readonly pollIntervalMs?: number;
  /** This worker's name in leases and the WAL. @default `<host>:<pid>:<random>` */
  readonly workerId?: string;
}

export interface WorkerStats {
  readonly workerId: string;
  readonly running: number;
  /** Executions this worker ran to an outcome. */
  readonly finished: number;
  /** Executions taken over by another worker before this one recorded them. */
  readonly lost: number;
}

/**
 * General notes: a worker claims queued executions (and those whose worker's
 * lease expired) and runs them through the lifecycle manager, at most
 * `concurrency` at a time. The runtime's LeaseKeeper renews the leases of
 * what it runs (from a thread on a server, so a handler blocking the event
 * loop keeps its lease); if it dies, its leases expire and other workers take
 * the executions over, each claim counting an attempt of the retry policy.
 * The lease is also a fence: an execution whose lease was lost cannot record
 * a completion, so it completes once even if it ran twice.
 */
export class Worker {
  readonly workerId: string;
  readonly #manager: ExecutionLifecycleManager;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #running = new Map<string, Promise<void>>();
  #finished = 0;
  #lost = 0;
  #stopping = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** Claim nothing more until what runs is done: an isolated (taken-over) run, or one waiting for an idle worker. */
  #drain = false;

  constructor(deps: { manager: ExecutionLifecycleManager; logger: Logger }, options: WorkerOptions = {}) {
    this.#manager = deps.manager;
    this.#concurrency = positiveInt('concurrency', options.concurrency ?? 4);
    // Durations through the one parser: whole milliseconds, within what a timer can wait.
    const ms = { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS } as const;
    this.#leaseMs = durationOption('worker leaseMs', options.leaseMs ?? 30_000, { ...ms, min: 0.3 });
    this.#pollMs = durationOption('worker pollIntervalMs', options.pollIntervalMs ?? 500, ms);
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#logger = deps.logger.child({ workerId: this.workerId });
  }

  get stats(): WorkerStats {
    return { workerId: this.workerId, running: this.#running.size, finished: this.#finished, lost: this.#lost };
  }

  /** Starts claiming. Idempotent. */
  start(): this {
    if (this.#loop || this.#stopping) return this;
    this.#loop = this.#claimLoop();
    return this;
  }

  /** Stops claiming and waits for the executions it runs to finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#running.values()]);
  }

  async #claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      if (this.#drain && this.#running.size === 0) this.#drain = false;
      const free = this.#drain ? 0 : this.#concurrency - this.#running.size;
      let claimed: ClaimedRun[] = [];
      if (free > 0) {
        try {
          // Only an idle worker takes over an abandoned execution, and runs it alone: it may kill its worker.
          const batch = await this.#manager.claim(this.workerId, free, this.#leaseMs, { takeover: this.#running.size === 0 });
          claimed = batch.runs;
          if (batch.isolated || batch.takeoverPending) this.#drain = true;
          failures = 0;
        } catch (err) {
          failures++;
          this.#logger.warn({ err }, 'claiming queued executions failed; retrying');
        }
      }
      for (const run of claimed) this.#launch(run);
      // A full claim may mean more is waiting: go again as soon as a slot frees; otherwise poll.
      if (this.#drain) {
        await this.#sleep(this.#pollMs);
      } else if (claimed.length === 0 || claimed.length < free) {
        await this.#sleep(failures > 0 ? Math.min(30_000, this.#pollMs * 2 ** failures) : this.#pollMs);
      } else if (this.#running.size >= this.#concurrency) {
        await this.#sleep(this.#pollMs);
      }
    }
  }

  #launch(run: ClaimedRun): void {
    const id = run.execution.executionId;
    const p = this.#manager
      .runClaimed(run)
      .then(() => {
        this.#finished++;
      })
      .catch((err: unknown) => {
        if (err instanceof LeaseLostError) {
          this.#lost++;
          this.#logger.warn({ executionId: id }, err.message);
        } else {
          this.#logger.error({ err, executionId: id }, 'running a claimed execution failed; it is retried after its lease expires');
        }
      })
      .finally(() => {
        this.#running.delete(id);
        this.#wake?.(); // a slot is free
      });
    this.#running.set(id, p);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`worker ${name} must be a positive integer, got ${String(value)}`);
  return value;
}
