import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.ts';
import { formatIssues, lineOfPath, readConfigFile, type ConfigIssue } from '../policy/config-issues.ts';
import { parseDuration } from '../policy/duration.ts';
import { parseByteSize } from '../policy/byte-size.ts';
import type { HttpLimits } from '../http/limits.ts';
import type { GroupCommitOptions } from '../store/group-commit.ts';

/**
 * A runtime config file (YAML): where the runtime keeps things and how a
 * worker runs. Every key is optional; a flag or environment variable wins
 * over the file, which wins over the default.
 *
 * ```yaml
 * database_url: postgres://127.0.0.1/symphainy   # absent: embedded store in data_dir
 * artifacts: s3://my-bucket/symphainy             # or a directory; absent: <data_dir>/blobs
 * s3_endpoint: http://127.0.0.1:9000              # S3-compatible stores
 * cache: redis://127.0.0.1:6379                   # or `embedded`
 * events: nats://127.0.0.1:4222                   # JetStream; absent: in-process only
 * platform_policy: config/platform.yaml           # governance rules above every solution
 * gc_grace: 1h                                    # sweep removes unreferenced blob-store files older than this
 * worker: { concurrency: 16, lease: 30s, poll_interval: 1s }
 * group_commit: { max_batch: 128, max_wait_ms: 0, max_concurrent_batches: 4 }   # or false
 * http:                                           # symphainy serve
 *   port: 7070
 *   host: 127.0.0.1
 *   admin_key: …                                  # at least 32 characters; SYMPHAINY_ADMIN_KEY wins
 *   limits: { body: 1mb, parameter_depth: 32, rendering: 32mb, page_size: 500 }
 * ```
 */
export interface RuntimeConfigFile {
  readonly source: string;
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly artifacts?: string;
  readonly s3Endpoint?: string;
  readonly inlineMaxBytes?: number;
  readonly cache?: string;
  readonly events?: string;
  readonly realmTimeoutMs?: number;
  /** `gc_grace`: the sweep's garbage collection spares blob-store files younger than this (seconds). */
  readonly gcGraceSeconds?: number;
  readonly platformPolicy?: string;
  readonly worker?: { readonly concurrency?: number; readonly leaseMs?: number; readonly pollIntervalMs?: number };
  readonly groupCommit?: GroupCommitOptions | false;
  readonly http?: {
    readonly port?: number;
    readonly host?: string;
    readonly adminKey?: string;
    readonly limits?: Partial<HttpLimits>;
  };
}

const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value) * 1000;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const text = z.string().trim().min(1, 'must not be empty');
/** A size (`512kb`, `1mb`, bytes); `allowZero` where 0 means "none". */
const sizeOf = (options: { allowZero?: boolean } = {}) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parseByteSize(value, options);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const bytes = sizeOf();

const Schema = z.strictObject({
  data_dir: text.optional(),
  database_url: text.optional(),
  artifacts: text.optional(),
  s3_endpoint: z.url({ message: 'must be a URL such as http://127.0.0.1:9000' }).optional(),
  inline_max_bytes: sizeOf({ allowZero: true }).optional(),
  cache: text.optional(),
  events: text.optional(),
  realm_timeout: durationMs.optional(),
  gc_grace: durationMs.optional(),
  platform_policy: text.optional(),
  group_commit: z
    .union([
      z.literal(false),
      z.strictObject({
        max_batch: z.number().int().positive().optional(),
        max_wait_ms: z.number().nonnegative().optional(),
        max_concurrent_batches: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
  worker: z
    .strictObject({
      concurrency: z.number().int().positive().optional(),
      lease: durationMs.optional(),
      poll_interval: durationMs.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      port: z.number().int().min(0).max(65535).optional(),
      host: text.optional(),
      admin_key: z.string().min(32, 'must be at least 32 characters').optional(),
      limits: z
        .strictObject({
          body: bytes.optional(),
          parameter_depth: z.number().int().positive().optional(),
          rendering: bytes.optional(),
          page_size: z.number().int().positive().max(10_000).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** Reads and validates a runtime config file; problems come back as `FILE:LINE: key: problem`. */
export async function loadRuntimeConfig(file: string): Promise<RuntimeConfigFile> {
  const source = await readConfigFile(file, 'runtime config', (message, cause) => new ConfigError(message, { cause }));
  return parseRuntimeConfigYaml(source, file);
}

export function parseRuntimeConfigYaml(source: string, file: string): RuntimeConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: invalid YAML: ${e.message}`).join('\n'),
    );
  }
  const raw = doc.toJS() ?? {};
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      const keys = i.code === 'unrecognized_keys' ? i.keys : [];
      const label = [...path.map(String), ...keys.slice(0, 1)].join('.');
      const message = i.code === 'unrecognized_keys' ? `unknown key (known: ${knownKeys(path).join(', ')})` : i.message;
      return { path: keys.length > 0 ? [...path, keys[0]!] : path, message: label ? `${label}: ${message}` : message };
    });
    throw new ConfigError(formatIssues(file, issues, (p) => lineOfPath(doc, lineCounter, p)));
  }
  const c = parsed.data;
  const worker = c.worker
    ? {
        ...(c.worker.concurrency !== undefined ? { concurrency: c.worker.concurrency } : {}),
        ...(c.worker.lease !== undefined ? { leaseMs: c.worker.lease } : {}),
        ...(c.worker.poll_interval !== undefined ? { pollIntervalMs: c.worker.poll_interval } : {}),
      }
    : undefined;
  const gc = c.group_commit;
  const groupCommit =
    gc === false
      ? false
      : gc
        ? {
            ...(gc.max_batch !== undefined ? { maxBatch: gc.max_batch } : {}),
            ...(gc.max_wait_ms !== undefined ? { maxWaitMs: gc.max_wait_ms } : {}),
            ...(gc.max_concurrent_batches !== undefined ? { maxConcurrentBatches: gc.max_concurrent_batches } : {}),
          }
        : undefined;
  const h = c.http;
  const limits = h?.limits
    ? {
        ...(h.limits.body !== undefined ? { bodyBytes: h.limits.body } : {}),
        ...(h.limits.parameter_depth !== undefined ? { parameterDepth: h.limits.parameter_depth } : {}),
        ...(h.limits.rendering !== undefined ? { renderingBytes: h.limits.rendering } : {}),
        ...(h.limits.page_size !== undefined ? { pageSize: h.limits.page_size } : {}),
      }
    : undefined;
  const http = h
    ? {
        ...(h.port !== undefined ? { port: h.port } : {}),
        ...(h.host !== undefined ? { host: h.host } : {}),
        ...(h.admin_key !== undefined ? { adminKey: h.admin_key } : {}),
        ...(limits ? { limits } : {}),
      }
    : undefined;
  return Object.freeze({
    source: file,
    ...(c.data_dir !== undefined ? { dataDir: c.data_dir } : {}),
    ...(c.database_url !== undefined ? { databaseUrl: c.database_url } : {}),
    ...(c.artifacts !== undefined ? { artifacts: c.artifacts } : {}),
    ...(c.s3_endpoint !== undefined ? { s3Endpoint: c.s3_endpoint } : {}),
    ...(c.inline_max_bytes !== undefined ? { inlineMaxBytes: c.inline_max_bytes } : {}),
    ...(c.cache !== undefined ? { cache: c.cache } : {}),
    ...(c.events !== undefined ? { events: c.events } : {}),
    ...(c.realm_timeout !== undefined ? { realmTimeoutMs: c.realm_timeout } : {}),
    ...(c.gc_grace !== undefined ? { gcGraceSeconds: c.gc_grace / 1000 } : {}),
    ...(c.platform_policy !== undefined ? { platformPolicy: c.platform_policy } : {}),
    ...(worker ? { worker } : {}),
    ...(groupCommit !== undefined ? { groupCommit } : {}),
    ...(http ? { http } : {}),
  });
}

/** The keys allowed at `path` (an object's keys, walking optional sections). */
function knownKeys(path: readonly (string | number)[]): string[] {
  let node: z.ZodType = Schema;
  for (const key of path) {
    while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (!(node instanceof z.ZodObject)) return [];
    node = (node.shape as Record<string, z.ZodType>)[String(key)]!;
  }
  while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}
