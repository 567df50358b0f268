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
  const head = `${input.resultType} -> ${decisionText(result.decision, result.ttlSeconds)} (${result.layer}, policy ${result.policyVersion})`;
  const lines = chain.map((v) => {
    const mark = v.layer === result.layer ? '*' : ' ';
    const said = v.decision === null ? '-' : v.decision;
    return `${mark} ${v.layer.padEnd(11)} ${said.padEnd(8)} ${v.said}`;
  });
  return [head, ...lines].join('\n');
}
