import type { PolicyExplanation } from './compile-policy.ts';
import { decisionText } from './policy-reasons.ts';

/**
 * Renders an explanation as text for the CLI: the result on the first line,
 * then one line per layer, the winner marked with `*`.
 *
 * @example
 * ```text
 * workflow -> persist (solution, policy sha256:1a2b3c4d5e6f7a8b)
 *   platform    -        'workflow' is not a platform-native record
 *   governance  -        no governance rules are configured
 * * solution    persist  solution config 'mvp' (config/mvp_materialization_policy.yaml) sets workflow: persist
 *   default     discard  platform default: derived artifact 'workflow' is ephemeral (discard)
 *   fallback    discard  anything no other layer decides is discarded (safest default)
 * ```
 */
export function formatExplanation(explanation: PolicyExplanation): string {
  const { input, result, chain } = explanation;
  const head = `${input.resultType} -> ${decisionText(result.decision, result.ttlSeconds)} (${result.layer}${result.config ? ` ${result.config}` : ''}, policy ${result.policyVersion})${result.trace === 'include' ? '; content enters traces (trace: include)' : ''}`;
  // The first layer that decides wins: exactly one line is marked, even with several config layers.
  const winner = chain.findIndex((v) => v.decision !== null);
  const label = (v: (typeof chain)[number]) => (v.config ? `${v.layer} ${v.config}` : v.layer);
  const width = Math.max(11, ...chain.map((v) => label(v).length + 1));
  const lines = chain.map((v, i) => {
    const mark = i === winner ? '*' : ' ';
    const said = v.decision === null ? '-' : v.decision;
    return `${mark} ${label(v).padEnd(width)} ${said.padEnd(8)} ${v.said}`;
  });
  return [head, ...lines].join('\n');
}
