import { compileDefinition, definitionOf, type PolicyDefinition } from '../policy/policy-definition.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import { resolverFromDefinition, resolverOf, type PolicyResolver, type PolicySetDefinition } from '../policy/policy-resolver.ts';
import type { Db } from '../db/db.ts';

/** The NOTIFY channel `policy apply` signals on; runtimes following the active policy LISTEN to it. */
export const POLICY_CHANNEL = 'symphainy_policy';


/**
 * General notes: owns `policy_versions` — the definition of every policy a
 * runtime decided under, keyed by the version each decision record carries.
 * A platform table (no tenant): policies are the operator's.
 */
export class PolicyVersions {
  readonly #recorded = new Set<string>();
  readonly #compiled = new Map<string, CompiledPolicy | null>();

  constructor(private readonly db: Db) {}

  /** Stores the policy's definition unless its version is stored already (once per process and version). */
  async record(policy: CompiledPolicy, at: Date): Promise<void> {
    if (this.#recorded.has(policy.version)) return;
    await this.db.query(
      `INSERT INTO symphainy.policy_versions (policy_version, definition, first_used_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (policy_version) DO NOTHING`,
      [policy.version, JSON.stringify(definitionOf(policy)), at.toISOString()],
    );
    this.#recorded.add(policy.version);
    this.#compiled.set(policy.version, policy);
  }

  /** The policy of a recorded version, compiled; null when this store never saw it. */
  async get(version: string): Promise<CompiledPolicy | null> {
    if (this.#compiled.has(version)) return this.#compiled.get(version)!;
    const rows = await this.db.query<{ definition: PolicyDefinition }>(
      'SELECT definition FROM symphainy.policy_versions WHERE policy_version = $1',
      [version],
    );
    const policy = rows[0] ? compileDefinition(rows[0].definition) : null;
    this.#compiled.set(version, policy);
    return policy;
  }

  /** Stores every policy a resolver can answer with, and the set itself when it has attached configs. */
  async recordSet(resolver: PolicyResolver, at: Date): Promise<void> {
    for (const p of resolver.policies()) await this.record(p, at);
    if (this.#recorded.has(resolver.version)) return;
    await this.db.query(
      `INSERT INTO symphainy.policy_versions (policy_version, definition, first_used_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (policy_version) DO NOTHING`,
      [resolver.version, JSON.stringify(resolver.definition()), at.toISOString()],
    );
    this.#recorded.add(resolver.version);
  }

  /**
   * Records `resolver` as the active policy set from `at` on, and tells
   * listening runtimes (`NOTIFY symphainy_policy`, delivered at commit).
   */
  async activate(resolver: PolicyResolver, at: Date, retroactive: boolean): Promise<number> {
    await this.recordSet(resolver, at);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ seq: string | number }>(
        'INSERT INTO symphainy.policy_activations (policy_version, activated_at, retroactive) VALUES ($1, $2, $3) RETURNING seq',
        [resolver.version, at.toISOString(), retroactive],
      );
      await tx.query(`SELECT pg_notify('${POLICY_CHANNEL}', $1)`, [String(row!.seq)]);
      return Number(row!.seq);
    });
  }

  /** The sequence number of the latest activation, or 0 when none: a cheap check whether the active policy changed. */
  async activeSeq(): Promise<number> {
    const rows = await this.db.query<{ seq: string | number }>('SELECT max(seq) AS seq FROM symphainy.policy_activations');
    return rows[0]?.seq == null ? 0 : Number(rows[0].seq);
  }

  /** The policy set last made active with `policy apply` and its activation's sequence number, or null when none was. */
  async active(): Promise<{ resolver: PolicyResolver; seq: number } | null> {
    const rows = await this.db.query<{ seq: string | number; definition: PolicySetDefinition | PolicyDefinition }>(
      `SELECT a.seq, v.definition FROM symphainy.policy_activations a
         JOIN symphainy.policy_versions v ON v.policy_version = a.policy_version
        ORDER BY a.seq DESC LIMIT 1`,
    );
    const row = rows[0];
    if (!row) return null;
    const resolver = 'kind' in row.definition ? resolverFromDefinition(row.definition) : resolverOf((await this.get(row.definition.version))!);
    return { resolver, seq: Number(row.seq) };
  }
}
