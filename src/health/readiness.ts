/**
 * What a part of the runtime reports about its connection, without doing
 * I/O: the event sinks and the cache tier implement it when they hold a
 * connection to another service.
 */
export interface HealthReporting {
  /** `ok`: connected; `degraded`: not connected, the runtime works around it (events wait in the outbox). */
  health(): { readonly status: 'ok' | 'degraded'; readonly detail?: string };
}

/** One part's state in a {@link ReadinessReport}. */
export interface PartHealth {
  /** `store`, `events:<sink>` or `cache:<name>`. */
  readonly name: string;
  /** `down`: the runtime cannot serve (only the store); `degraded`: it serves, this part catches up later. */
  readonly status: 'ok' | 'degraded' | 'down';
  readonly detail?: string;
}

/** The runtime's readiness: `ready` unless the store is down; parts that are not ok are named. */
export interface ReadinessReport {
  readonly status: 'ready' | 'degraded' | 'down';
  readonly parts: readonly PartHealth[];
}

/** How long a readiness probe waits for the store. @default 1000 */
export const READINESS_TIMEOUT_MS = 1000;

/**
 * General notes: answers "can this runtime serve?" within a bound, so a
 * load balancer learns of a database outage in about a second rather than
 * after the store's own timeouts. Probes share one store ping at a time,
 * so probing during an outage does not pile up connection attempts.
 */
export class ReadinessProbe {
  readonly #ping: () => Promise<void>;
  readonly #parts: () => readonly { name: string; part: unknown }[];
  #pending: Promise<void> | null = null;

  /** `parts`: named objects that may implement {@link HealthReporting}; others are left out. */
  constructor(ping: () => Promise<void>, parts: () => readonly { name: string; part: unknown }[]) {
    this.#ping = ping;
    this.#parts = parts;
  }

  /** Never rejects; resolves within about `timeoutMs`. */
  async check(timeoutMs = READINESS_TIMEOUT_MS): Promise<ReadinessReport> {
    const parts: PartHealth[] = [await this.#store(timeoutMs)];
    for (const { name, part } of this.#parts()) {
      const health = (part as Partial<HealthReporting> | null)?.health;
      if (typeof health !== 'function') continue;
      const h = health.call(part);
      parts.push({ name, status: h.status, ...(h.detail ? { detail: h.detail } : {}) });
    }
    const status = parts.some((p) => p.status === 'down') ? 'down' : parts.some((p) => p.status === 'degraded') ? 'degraded' : 'ready';
    return { status, parts };
  }

  async #store(timeoutMs: number): Promise<PartHealth> {
    this.#pending ??= this.#ping().finally(() => (this.#pending = null));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { name: 'store', status: 'ok' };
    } catch (err) {
      return { name: 'store', status: 'down', detail: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
