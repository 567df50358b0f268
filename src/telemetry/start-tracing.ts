import { context, trace } from '@opentelemetry/api';
import { ConfigError } from '../errors/index.ts';
import { importOptional } from '../package/optional-packages.ts';

/** The optional packages span export needs (installed together). */
export const TRACING_PACKAGES = [
  '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources', '@opentelemetry/context-async-hooks',
] as const;

/** The OTLP/HTTP port of the OpenTelemetry specification's default endpoint. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/**
 * Span export, as the runtime options compile it from the standard
 * variables (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_SERVICE_NAME`).
 */
export interface TracingOptions {
  /**
   * `otlp`: OTLP over HTTP with JSON bodies; `none`: spans are not exported
   * (a comma-separated list, as the variable allows). @default 'none'
   */
  readonly tracesExporter: string;
  /** Base URL; traces go to `<endpoint>/v1/traces`. @default DEFAULT_OTLP_ENDPOINT */
  readonly endpoint?: string | undefined;
  /** The traces URL, used as it is (wins over `endpoint`). */
  readonly tracesEndpoint?: string | undefined;
  /** `service.name` of the resource. @default 'symphainy' */
  readonly serviceName: string;
}

/** Span export once started: `flush` exports what ended so far; `shutdown` flushes and unregisters. */
export interface Tracing {
  /** Where spans go; null when export is off. */
  readonly url: string | null;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const OFF: Tracing = Object.freeze({ url: null, flush: async () => {}, shutdown: async () => {} });

/**
 * Registers the OpenTelemetry SDK globally — a tracer provider exporting
 * through OTLP/HTTP (JSON) in batches, and an AsyncLocalStorage context
 * manager (so logs and nested instrumentation see the active span) — when
 * `tracesExporter` is `otlp`; does nothing for `none`. One per process.
 *
 * @throws ConfigError (SYM_ERR_CONFIG) naming `OTEL_TRACES_EXPORTER` for an
 *   exporter other than `otlp` or `none` (e.g. `zipkin`).
 * @throws MissingPackageError (SYM_ERR_MISSING_PACKAGE) naming the packages
 *   when the optional SDK packages ({@link TRACING_PACKAGES}) are not installed.
 *
 * @example
 * ```ts
 * const tracing = await startTracing({ tracesExporter: 'otlp', endpoint: 'http://collector:4318', serviceName: 'api' });
 * // … run executions …
 * await tracing.shutdown();
 * ```
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const exporters = new Set(options.tracesExporter.split(',').map((w) => w.trim()).filter((w) => w !== '' && w !== 'none'));
  const unsupported = [...exporters].filter((w) => w !== 'otlp');
  if (unsupported.length > 0) {
    // Refused, never silently off: the operator asked for spans somewhere this runtime cannot send them.
    throw new ConfigError(`env OTEL_TRACES_EXPORTER: ${unsupported.map((w) => `'${w}'`).join(', ')} is not supported here (symphainy exports otlp over HTTP with JSON, or none)`);
  }
  if (exporters.size === 0) return OFF;
  const [sdk, otlp, resources, hooks] = await importOptional(
    () => Promise.all([
      import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'), import('@opentelemetry/context-async-hooks'),
    ]),
    TRACING_PACKAGES,
    'OTEL_TRACES_EXPORTER=otlp (exporting spans)',
  );
  const url = options.tracesEndpoint ?? `${(options.endpoint ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter({ url }))],
  });
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    url,
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
