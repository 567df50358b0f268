import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect as natsConnect,
  headers as natsHeaders,
  JSONCodec,
  nanos,
  StorageType,
  type ConnectionOptions,
  type JetStreamClient,
  type NatsConnection,
  type NatsError,
} from 'nats';
import type { Logger } from 'pino';
import { ConfigError, StoreError } from '../../errors/index.ts';
import { parseSealed, sealedFromText } from '../../crypto/sealed-format.ts';
import type { OutboxEvent } from '../../store/outbox.ts';
import { isSealedPayload } from '../../store/outbox-sealing.ts';
import { KEY_IDS_HEADER } from './open-event-message.ts';
import type { EventSink } from '../event-sink.ts';
import type { HealthReporting } from '../../health/readiness.ts';

/** Options of {@link NatsEventSink.connect}. */
export interface NatsEventSinkOptions {
  /** NATS server URL(s), comma-separated: `nats://host:port`, `tls://…`, optionally `user:pass@` or `token@`. */
  readonly servers: string;
  /** JetStream stream holding the events; created if missing (never reconfigured). @default 'SYMPHAINY' */
  readonly stream?: string;
  /** First subject token; events go to `<prefix>.<tenant>.<eventType>`. @default 'symphainy' */
  readonly subjectPrefix?: string;
  /** Duplicate window of a stream this sink creates: a re-send within it is dropped by JetStream. @default 120000 */
  readonly duplicateWindowMs?: number;
  /** Milliseconds to wait for each publish ack (and JetStream API calls). @default 5000 */
  readonly publishTimeoutMs?: number;
  /** Milliseconds to wait for the first connection. @default 5000 */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
}

const JSON_CODEC = JSONCodec();
/** JetStream API error codes (nats-server `server/errors.json`). */
const STREAM_NOT_FOUND = 10059;
const SUBJECTS_OVERLAP = 10065;

/**
 * A `%XX` (UTF-8 bytes) for each character that cannot stand in a NATS
 * subject token: `.` (token separator), `*` and `>` (wildcards), `%` (so the
 * encoding is reversible), whitespace, and control/format/unassigned
 * characters. Everything else (`_ - : @`, letters in any script) is kept.
 * An empty token becomes a lone `%`, which no non-empty input encodes to.
 */
const NOT_IN_TOKEN = /[.*>%\s\p{C}]/gu;
function encodeToken(s: string): string {
  if (s === '') return '%';
  return s.replace(NOT_IN_TOKEN, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * The subject of an event: `<prefix>.<tenant>.<type tokens…>`.
 *
 * The tenant id is always one token (its dots are encoded), so a subscriber
 * can filter on `<prefix>.<tenant>.>` without one tenant's id reaching into
 * another's. The event type keeps its dots as token separators (so
 * `execution.started` is filterable as `<prefix>.*.execution.*`), each part
 * encoded with {@link encodeToken}; an empty part (`a..b`, a leading or
 * trailing dot) becomes `%`, never an empty token.
 *
 * ```ts
 * eventSubject('symphainy', { tenantId: 'acme.eu', eventType: 'execution.started' })
 * // 'symphainy.acme%2Eeu.execution.started'
 * ```
 */
export function eventSubject(prefix: string, event: Pick<OutboxEvent, 'tenantId' | 'eventType'>): string {
  return [prefix, encodeToken(event.tenantId), ...event.eventType.split('.').map(encodeToken)].join('.');
}

/**
 * General notes: publishes outbox events to a JetStream stream, one message
 * per event, with the event id as `Nats-Msg-Id`. The relay re-sends a batch
 * after any failure; JetStream drops a re-sent id within the stream's
 * duplicate window, so each event is stored once. A sealed payload (the
 * runtime's encryption on) is published as stored, still sealed, with the
 * `Symphainy-Key-Ids` header naming its keys; a consumer opens it with
 * `openEventMessage`. The sink owns its NATS
 * connection (reconnecting forever) and creates the stream if missing; it
 * does not own the stream's settings, retention or consumers.
 */
export class NatsEventSink implements EventSink, HealthReporting {
  readonly name = 'nats';
  #nc: NatsConnection | null = null;
  #js: JetStreamClient | null = null;
  #connected = false;
  #lastError: Error | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  readonly #o: SinkSettings;

  private constructor(o: SinkSettings) {
    this.#o = o;
  }

  /** Connects and ensures the stream; throws StoreError if NATS is unreachable, ConfigError on bad options or a conflicting stream. */
  static async connect(options: NatsEventSinkOptions): Promise<NatsEventSink> {
    const sink = new NatsEventSink(settingsOf(options));
    await sink.#establish();
    return sink;
  }

  /**
   * Like {@link connect}, but an unreachable NATS does not fail: the sink
   * starts degraded and keeps connecting in the background (backoff from
   * 500 ms doubling to 10 s); until then {@link publish} throws StoreError,
   * so the outbox relay keeps the events and re-sends them once connected.
   * Bad options and a conflicting stream still throw ConfigError at once.
   */
  static async open(options: NatsEventSinkOptions): Promise<NatsEventSink> {
    const sink = new NatsEventSink(settingsOf(options));
    try {
      await sink.#establish();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      sink.#o.log?.warn({ nats: sink.#o.display, err: (err as Error).message }, 'NATS unreachable at start; events wait in the outbox until it answers');
      sink.#scheduleRetry(500);
    }
    return sink;
  }

  /** `ok` while connected; `degraded` (events wait in the outbox) before the first connection and during reconnects. */
  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.#js && this.#connected) return { status: 'ok' };
    const why = this.#js ? 'reconnecting' : `not connected${this.#lastError ? `: ${this.#lastError.message}` : ''}`;
    return { status: 'degraded', detail: `NATS at ${this.#o.display} ${why}; events wait in the outbox` };
  }

  #scheduleRetry(ms: number): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#establish().then(
        () => this.#o.log?.warn({ nats: this.#o.display }, 'NATS connected; delivering the events that waited'),
        () => this.#scheduleRetry(Math.min(10_000, ms * 2)),
      );
    }, ms);
    this.#retry.unref();
  }

  async #establish(): Promise<void> {
    const o = this.#o;
    let nc: NatsConnection;
    try {
      nc = await natsConnect({
        servers: o.servers,
        ...o.auth,
        ...(o.tls ? { tls: {} } : {}),
        name: 'symphainy-event-sink',
        timeout: o.connectTimeoutMs,
        // Outlive NATS restarts: the relay keeps retrying meanwhile, and publishes resume on reconnect.
        reconnect: true,
        maxReconnectAttempts: -1,
      });
    } catch (err) {
      this.#lastError = err as Error;
      throw new StoreError(`cannot connect to NATS at ${o.display}: ${(err as Error).message}`, { cause: err });
    }
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect') this.#connected = false;
        if (st.type === 'reconnect') this.#connected = true;
        if (st.type === 'disconnect' || st.type === 'reconnect') o.log?.warn({ nats: o.display, status: st.type }, `NATS ${st.type}`);
      }
    })().catch(() => {});
    try {
      await ensureStream(nc, { stream: o.stream, subject: `${o.prefix}.>`, duplicateWindowMs: o.duplicateWindowMs, timeoutMs: o.timeoutMs, display: o.display, log: o.log });
    } catch (err) {
      this.#lastError = err as Error;
      await nc.close().catch(() => {});
      throw err;
    }
    if (this.#closed) {
      await nc.close().catch(() => {});
      return;
    }
    this.#nc = nc;
    this.#js = nc.jetstream({ timeout: o.timeoutMs });
    this.#connected = true;
    this.#lastError = null;
  }

  /** Publishes all events and waits for every ack; throws if any is not acknowledged (the relay re-sends the batch). */
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    const js = this.#js;
    if (!js) throw new StoreError(`NATS at ${this.#o.display} is not connected yet${this.#lastError ? ` (${this.#lastError.message})` : ''}; the events stay in the outbox`);
    // All publishes go out before the first ack is awaited: one round trip per batch, not per event.
    // Each js.publish writes to the socket synchronously, so messages keep the array's order.
    const acks = events.map((e) => {
      const h = natsHeaders();
      h.set('Symphainy-Tenant', headerValue(e.tenantId));
      h.set('Symphainy-Event-Type', headerValue(e.eventType));
      const keyIds = sealedKeyIds(e.payload);
      if (keyIds) h.set(KEY_IDS_HEADER, keyIds.join(','));
      const body = {
        eventId: e.eventId, eventType: e.eventType, source: e.source, tenantId: e.tenantId, sessionId: e.sessionId,
        executionId: e.executionId, payload: e.payload, createdAt: e.createdAt,
      };
      return js.publish(eventSubject(this.#o.prefix, e), JSON_CODEC.encode(body), {
        msgID: e.eventId,
        headers: h,
        timeout: this.#o.timeoutMs,
      });
    });
    // allSettled: wait for every ack so no rejection is left unhandled, then report the first failure.
    const results = await Promise.allSettled(acks);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      const first = failed[0]!.reason as Error;
      throw new StoreError(
        `NATS stream '${this.#o.stream}': ${failed.length} of ${events.length} events not acknowledged: ${first.message}`,
        { cause: first },
      );
    }
  }

  /** Flushes what was sent and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    const nc = this.#nc;
    if (!nc || nc.isClosed()) return;
    // drain() waits on the server: with NATS down it would hold close() forever, so bound it.
    const timer = new AbortController();
    await Promise.race([
      nc.drain().catch(() => {}),
      sleep(this.#o.timeoutMs, undefined, { signal: timer.signal }).catch(() => {}),
    ]);
    timer.abort();
    if (!nc.isClosed()) await nc.close();
  }
}

interface SinkSettings {
  readonly stream: string;
  readonly prefix: string;
  readonly duplicateWindowMs: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly servers: string[];
  readonly display: string;
  readonly auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'>;
  readonly tls: boolean;
  readonly log: Logger | undefined;
}

/** Options checked and defaulted; throws ConfigError naming the bad one. */
function settingsOf(options: NatsEventSinkOptions): SinkSettings {
  const stream = options.stream ?? 'SYMPHAINY';
  const prefix = options.subjectPrefix ?? 'symphainy';
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  const timeoutMs = options.publishTimeoutMs ?? 5000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (!/^[^\s.*>/\\]+$/.test(stream)) throw new ConfigError(`invalid NATS stream name '${stream}'`);
  if (!/^[^\s.*>%]+(\.[^\s.*>%]+)*$/.test(prefix)) throw new ConfigError(`invalid NATS subject prefix '${prefix}'`);
  for (const [key, v] of Object.entries({ duplicateWindowMs, publishTimeoutMs: timeoutMs, connectTimeoutMs })) {
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`NatsEventSink ${key} must be a positive integer (got ${v})`);
  }
  return { stream, prefix, duplicateWindowMs, timeoutMs, connectTimeoutMs, ...parseServers(options.servers), log: options.logger };
}

/** The keys a sealed payload names; null for a plain one (also a plain string that merely starts like a sealed one). */
function sealedKeyIds(payload: unknown): readonly string[] | null {
  if (!isSealedPayload(payload)) return null;
  try {
    return parseSealed(sealedFromText(payload)).keyIds;
  } catch {
    return null;
  }
}

/** NATS headers cannot carry CR or LF (nats.js throws); encode just those. The JSON payload stays authoritative. */
function headerValue(v: string): string {
  return v.replace(/[\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Splits the comma-separated URLs. nats.js v2 ignores credentials in a URL,
 * so they are taken out and passed as `user`/`pass` or `token` (the first
 * URL with any wins); `display` is what error messages may show.
 */
function parseServers(spec: string): {
  servers: string[];
  display: string;
  auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'>;
  tls: boolean;
} {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError('no NATS server URL given');
  const servers: string[] = [];
  const shown: string[] = [];
  let auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'> = {};
  let tls = false;
  for (const part of parts) {
    let u: URL;
    try {
      u = new URL(part.includes('://') ? part : `nats://${part}`);
    } catch {
      throw new ConfigError(`malformed NATS server URL '${redact(part)}'`);
    }
    if (!['nats:', 'tls:'].includes(u.protocol) || !u.hostname || (u.pathname !== '' && u.pathname !== '/')) {
      throw new ConfigError(`malformed NATS server URL '${redact(part)}' (expected nats://host:port or tls://host:port)`);
    }
    if (u.protocol === 'tls:') tls = true;
    if (u.username && !auth.user && !auth.token) {
      const user = decodeURIComponent(u.username);
      auth = u.password ? { user, pass: decodeURIComponent(u.password) } : { token: user };
    }
    servers.push(u.host);
    shown.push(`${u.protocol}//${u.host}`);
  }
  return { servers, display: shown.join(','), auth, tls };
}

/** Drops anything before an `@` in the authority, for messages about a URL that did not parse. */
function redact(s: string): string {
  return s.replace(/^([^:/]*:\/\/)?[^/@]*@/, '$1');
}

async function ensureStream(
  nc: NatsConnection,
  o: { stream: string; subject: string; duplicateWindowMs: number; timeoutMs: number; display: string; log: Logger | undefined },
): Promise<void> {
  const where = `NATS stream '${o.stream}' at ${o.display}`;
  try {
    const jsm = await nc.jetstreamManager({ timeout: o.timeoutMs });
    let info;
    try {
      info = await jsm.streams.info(o.stream);
    } catch (err) {
      if ((err as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw err;
      try {
        await jsm.streams.add({
          name: o.stream,
          subjects: [o.subject],
          storage: StorageType.File,
          duplicate_window: nanos(o.duplicateWindowMs),
        });
      } catch (addErr) {
        if ((addErr as NatsError).api_error?.err_code === SUBJECTS_OVERLAP) {
          throw new ConfigError(`cannot create ${where}: subjects '${o.subject}' overlap another stream's`, { cause: addErr });
        }
        throw addErr;
      }
      return;
    }
    // An existing stream is the operator's: check it catches our subjects, never change it.
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(o.subject)) {
      throw new ConfigError(
        `${where} exists with subjects [${subjects.join(', ')}], not '${o.subject}'; ` +
          'choose another stream name or subject prefix',
      );
    }
    if (info.config.duplicate_window < nanos(o.duplicateWindowMs)) {
      o.log?.warn(
        { stream: o.stream, duplicateWindowMs: info.config.duplicate_window / 1e6 },
        'NATS stream has a shorter duplicate window than configured; re-sends after it are stored twice',
      );
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new StoreError(`cannot set up ${where}: ${(err as Error).message}`, { cause: err });
  }
}
