import { context, trace } from '@opentelemetry/api';
import { ConfigError } from '../errors/index.ts';
import { wordList } from '../options/option-kinds.ts';
import { OTEL_TRACES_EXPORTERS } from '../options/runtime-option-specs.ts';
import { importOptional } from '../package/optional-packages.ts';

/**
 * The `OTEL_TRACES_EXPORTER` words span export here takes: what symphainy
 * itself exports. The runtime options take every standard exporter (an
 * embedding application's own SDK may use the others); {@link startTracing}
 * and the commands that export spans take only these.
 */
export const SPAN_EXPORTERS = ['otlp', 'none'] as const;

const SPAN_EXPORTER_LIST = wordList(SPAN_EXPORTERS as unknown as [string, ...string[]]);

/**
 * Refuses an `OTEL_TRACES_EXPORTER` value (as given, or compiled) that
 * lists a word other than {@link SPAN_EXPORTERS}; unset or empty is `none`.
 * The message lists exactly what is accepted, from the same list.
 * @throws ConfigError (SYM_ERR_CONFIG) naming the variable
 */
export function checkSpanExporters(value: string | undefined): void {
  if (value === undefined || value.trim() === '') return;
  const checked = SPAN_EXPORTER_LIST.text.safeParse(value);
  if (checked.success) return;
  const words = value.split(',').map((w) => w.trim().toLowerCase());
  const forSdk = OTEL_TRACES_EXPORTERS.filter((w) => !(SPAN_EXPORTERS as readonly string[]).includes(w) && words.includes(w));
  // Refused, never silently off: the operator asked for spans somewhere this runtime cannot send them.
  throw new ConfigError(
    `env OTEL_TRACES_EXPORTER: ${checked.error.issues[0]!.message} (symphainy exports spans over OTLP/HTTP with JSON` +
      `${forSdk.length > 0 ? `; ${forSdk.join(', ')} ${forSdk.length > 1 ? 'are' : 'is'} for an embedding application's own SDK` : ''})`,
  );
}

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
 *   exporter other than `otlp` or `none` (e.g. `zipkin`): {@link checkSpanExporters}.
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
  checkSpanExporters(options.tracesExporter);
  const exporters = new Set(options.tracesExporter.split(',').map((w) => w.trim()).filter((w) => w !== '' && w !== 'none'));
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
