import { compileDefinition, definitionOf, type PolicyDefinition } from '../policy/policy-definition.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { Queryable } from './db.ts';

/**
 * General notes: owns `policy_versions` — the definition of every policy a
 * runtime decided under, keyed by the version each decision record carries.
 * A platform table (no tenant): policies are the operator's.
 */
export class PolicyVersions {
  readonly #recorded = new Set<string>();
  readonly #compiled = new Map<string, CompiledPolicy | null>();

  constructor(private readonly db: Queryable) {}

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

  /** Records `policy` as the active one from `at` on. */
  async activate(policy: CompiledPolicy, at: Date, retroactive: boolean): Promise<void> {
    await this.record(policy, at);
    await this.db.query('INSERT INTO symphainy.policy_activations (policy_version, activated_at, retroactive) VALUES ($1, $2, $3)', [
      policy.version, at.toISOString(), retroactive,
    ]);
  }

  /** The policy last made active with `policy apply`, or null when none was. */
  async active(): Promise<CompiledPolicy | null> {
    const rows = await this.db.query<{ policy_version: string }>(
      'SELECT policy_version FROM symphainy.policy_activations ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] ? this.get(rows[0].policy_version) : null;
  }
}
