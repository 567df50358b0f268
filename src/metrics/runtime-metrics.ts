import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExecutionObserver, ExecutionStage } from '../execution/execution-observer.ts';
import type { ExecutionResult } from '../execution/execution-result.ts';
import type { ExecutionStatus } from '../store/state-surface.ts';
import { ModelMetrics } from './model-metrics.ts';

/** What the store says at scrape time (every tenant, every process on the database). */
export interface StoreGauges {
  readonly executionsByStatus: Record<ExecutionStatus, number>;
  readonly outboxUnpublished: number;
  readonly outboxOldestAgeSeconds: number;
}

/**
 * Prometheus metrics of one runtime. Counters and histograms count what
 * this process did (as Prometheus expects per instance); gauges of
 * executions and outbox lag are read from the store at scrape time.
 */
export class RuntimeMetrics implements ExecutionObserver {
  readonly registry = new Registry();
  /** Model usage and budget counters (the budget guard's observer). */
  readonly models = new ModelMetrics(this.registry);
  readonly #stages: Histogram<'stage'>;
  readonly #finished: Counter<'status'>;
  readonly #decisions: Counter<'layer' | 'decision'>;
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #requestSeconds: Histogram<'method' | 'route'>;

  constructor(readStore: () => Promise<StoreGauges>) {
    const registers = [this.registry];
    this.#stages = new Histogram({
      name: 'symphainy_stage_duration_seconds',
      help: 'Duration of execution stages: record (transaction), realm (handler), materialize (policy and blobs), complete (transaction)',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#finished = new Counter({
      name: 'symphainy_executions_finished_total',
      help: 'Executions this process finished, by status',
      labelNames: ['status'],
      registers,
    });
    this.#decisions = new Counter({
      name: 'symphainy_materialization_decisions_total',
      help: 'Materialization decisions this process made, by deciding layer and decision',
      labelNames: ['layer', 'decision'],
      registers,
    });
    this.#requests = new Counter({
      name: 'symphainy_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'symphainy_http_request_duration_seconds',
      help: 'HTTP request duration, by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    let pending: Promise<StoreGauges> | null = null;
    // One store read per scrape, shared by the three gauges.
    const store = () => (pending ??= readStore().finally(() => setTimeout(() => (pending = null), 0)));
    new Gauge({
      name: 'symphainy_executions',
      help: 'Executions in the store, by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await store();
        for (const [status, n] of Object.entries(s.executionsByStatus)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'symphainy_outbox_unpublished_events',
      help: 'Committed events not yet published by a relay',
      registers,
      async collect() {
        this.set((await store()).outboxUnpublished);
      },
    });
    new Gauge({
      name: 'symphainy_outbox_lag_seconds',
      help: 'Age of the oldest committed event not yet published (0 when none)',
      registers,
      async collect() {
        this.set((await store()).outboxOldestAgeSeconds);
      },
    });
  }

  stage(stage: ExecutionStage, ms: number): void {
    this.#stages.observe({ stage }, ms / 1000);
  }

  finished(result: ExecutionResult): void {
    this.#finished.inc({ status: result.status });
    for (const a of result.artifacts) this.#decisions.inc({ layer: a.layer, decision: a.decision });
  }

  /** One answered HTTP request; `route` is the route pattern (`/v1/executions/:id`), never the raw URL. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#requestSeconds.observe({ method, route }, seconds);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
