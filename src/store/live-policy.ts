import type { Client } from 'pg';
import type { Logger } from 'pino';
import type { PolicyResolver } from '../policy/policy-resolver.ts';
import { withDefaultUser } from '../db/pg/database-url.ts';
import { POLICY_CHANNEL, type PolicyVersions } from './policy-versions.ts';
import { importOptional } from '../package/optional-packages.ts';

/** How often a runtime following the active policy looks whether it changed (LISTEN makes it immediate on a server). */
const POLL_MS = 1000;

/**
 * General notes: holds the policy set a runtime decides under now. A runtime
 * with a policy of its own keeps it; one without follows the active policy
 * (`policy apply`): on PostgreSQL it LISTENs on {@link POLICY_CHANNEL}, and
 * everywhere it compares the latest activation's sequence number now and
 * then (notifications can be lost while a connection is down). An execution
 * resolves its policy when it starts (or is claimed) and keeps it, so
 * in-flight executions finish under the version they started with.
 */
export class LivePolicy {
  #current: PolicyResolver;
  #seq: number;
  #timer: NodeJS.Timeout | null = null;
  #listener: Client | null = null;
  #refreshing: Promise<void> | null = null;
  #closed = false;

  private constructor(
    private readonly d: { policies: PolicyVersions; logger: Logger; now: () => Date; follow: boolean },
    current: PolicyResolver,
    seq: number,
  ) {
    this.#current = current;
    this.#seq = seq;
  }

  /**
   * The runtime's own policy set, or (when it has none) the active one.
   * `databaseUrl`: LISTEN there for activations (a server only).
   */
  static async open(d: {
    own: PolicyResolver; policies: PolicyVersions; logger: Logger; now: () => Date; databaseUrl?: string | undefined;
  }): Promise<LivePolicy> {
    const follow = !d.own.configured;
    const active = follow ? await d.policies.active() : null;
    const live = new LivePolicy({ ...d, follow }, active?.resolver ?? d.own, active?.seq ?? (follow ? 0 : -1));
    await d.policies.recordSet(live.current, d.now());
    if (follow) await live.#watch(d.databaseUrl);
    return live;
  }

  /** The policy set new executions are decided under. */
  get current(): PolicyResolver {
    return this.#current;
  }

  /** Whether this runtime follows the active policy (it has no policy of its own). */
  get follows(): boolean {
    return this.d.follow;
  }

  /** An activation made by this process: takes effect at once. */
  activated(resolver: PolicyResolver, seq: number): void {
    if (!this.d.follow || seq <= this.#seq) return;
    this.#current = resolver;
    this.#seq = seq;
  }

  /** Looks whether another process activated a policy, and switches to it. Never throws (logs). */
  refresh(): Promise<void> {
    if (!this.d.follow || this.#closed) return Promise.resolve();
    this.#refreshing ??= (async () => {
      try {
        if ((await this.d.policies.activeSeq()) <= this.#seq) return;
        const active = await this.d.policies.active();
        if (active && active.seq > this.#seq) {
          this.#current = active.resolver;
          this.#seq = active.seq;
          this.d.logger.info({ policyVersion: active.resolver.version }, 'switched to the policy made active');
        }
      } catch (err) {
        this.d.logger.warn({ err }, 'checking the active policy failed');
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#refreshing;
    await this.#listener?.end().catch(() => {});
  }

  async #watch(databaseUrl: string | undefined): Promise<void> {
    this.#timer = setInterval(() => void this.refresh(), POLL_MS);
    this.#timer.unref();
    if (!databaseUrl) return;
    // A connection of its own: LISTEN holds it, so it cannot come from the pool.
    // Loaded here, not at the top: the embedded runtime never needs `pg` (an optional peer).
    const { default: pg } = await importOptional(() => import('pg'), ['pg'], 'a postgres:// database URL');
    const client = new pg.Client({ connectionString: withDefaultUser(databaseUrl), application_name: 'symphainy-policy' });
    client.on('error', (err) => this.d.logger.warn({ err }, 'the policy LISTEN connection failed; polling continues'));
    client.on('notification', () => void this.refresh());
    try {
      await client.connect();
      await client.query(`LISTEN ${POLICY_CHANNEL}`);
      this.#listener = client;
    } catch (err) {
      this.d.logger.warn({ err }, 'cannot LISTEN for policy activations; polling instead');
      await client.end().catch(() => {});
    }
  }
}
