import { MaterializationDecision } from './decision.ts';

/**
 * Platform-native records: the intent, the journey, its state transitions and
 * governance decisions. Always persisted (in the WAL and the state surface);
 * a configuration that says otherwise is rejected at load.
 */
export const PLATFORM_NATIVE_TYPES: ReadonlySet<string> = new Set([
  'intent',
  'journey',
  'state_transition',
  'governance_decision',
]);

/** The plan's DEFAULT_POLICY: platform memory persists, derived artifacts are ephemeral. */
export const DEFAULT_POLICY: Readonly<Record<string, MaterializationDecision>> = Object.freeze({
  intent: 'persist',
  journey: 'persist',
  state_transition: 'persist',
  governance_decision: 'persist',
  workflow: 'discard',
  sop: 'discard',
  blueprint: 'discard',
  solution: 'discard',
  roadmap: 'discard',
  poc: 'discard',
  visual: 'discard',
});

/** The plan's MVP_POLICY_OVERRIDE (also shipped as `config/mvp_materialization_policy.yaml`). */
export const MVP_POLICY_OVERRIDE: Readonly<Record<string, MaterializationDecision>> = Object.freeze({
  workflow: 'persist',
  sop: 'persist',
  blueprint: 'persist',
  solution: 'persist',
  roadmap: 'persist',
  poc: 'persist',
  visual: 'persist',
});

/** TTL of a `cache` decision when the config sets none: one hour, about a working session. */
export const DEFAULT_CACHE_TTL_SECONDS = 3600;
