/**
 * The outcomes realm: roadmaps, proofs of concept and blueprints. Its intents
 * deliberately return the LEGACY result shape — `{ artifacts: { key: data } }`
 * with a `semantic_payload` inside `data` — so the runtime's backward-compatible
 * path stays exercised: everything but the semantic payload becomes one JSON
 * rendering named after the key.
 */
import { z } from 'zod';
import { defineRealm } from '../realm/define-realm.ts';
import { contentId, text } from './lib/support.ts';

export const createRoadmapParams = z.strictObject({
  goals: z.array(text()).min(1).max(100),
  horizon_weeks: z.int().min(1).max(104).default(12),
});

export const createPocParams = z.strictObject({
  hypothesis: text(2_000),
  success_criteria: z.array(text()).min(1).max(50),
  duration_weeks: z.int().min(1).max(52).default(4),
});

export const createBlueprintParams = z.strictObject({
  name: text(200),
  components: z.array(text(200)).min(1).max(200),
  integrations: z.array(text(200)).max(200).default([]),
});

/**
 * Splits `total` weeks into `parts` consecutive ranges as evenly as possible
 * (earlier ranges get the remainder), e.g. 10 in 3 → 1–4, 5–7, 8–10.
 */
export function splitWeeks(total: number, parts: number): { start: number; end: number }[] {
  const ranges = [];
  let start = 1;
  for (let i = 0; i < parts; i++) {
    const length = Math.floor(total / parts) + (i < total % parts ? 1 : 0);
    ranges.push({ start, end: start + length - 1 });
    start += length;
  }
  return ranges;
}

/** Splits `items` into `parts` consecutive groups as evenly as possible. */
function chunk<T>(items: readonly T[], parts: number): T[][] {
  const groups: T[][] = [];
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(items.length / parts) + (i < items.length % parts ? 1 : 0);
    groups.push(items.slice(at, at + size));
    at += size;
  }
  return groups;
}

export const outcomes = defineRealm({
  name: 'outcomes',
  description: 'Roadmaps, proofs of concept and blueprints (legacy result shape)',
  intents: {
    create_roadmap: {
      description: 'Spread goals over a horizon of weeks as consecutive phases',
      params: createRoadmapParams,
      handler({ goals, horizon_weeks }: z.output<typeof createRoadmapParams>) {
        // One phase per goal, unless there are more goals than weeks.
        const phaseCount = Math.min(goals.length, horizon_weeks);
        const weeks = splitWeeks(horizon_weeks, phaseCount);
        const phases = chunk(goals, phaseCount).map((phaseGoals, i) => ({
          phase: i + 1,
          name: `Phase ${i + 1}: ${phaseGoals[0]}${phaseGoals.length > 1 ? ` (+${phaseGoals.length - 1})` : ''}`,
          start_week: weeks[i]!.start,
          end_week: weeks[i]!.end,
          goals: phaseGoals,
          milestone: `End of week ${weeks[i]!.end}: ${phaseGoals.join('; ')}`,
        }));
        const roadmapId = contentId('rm_', { goals, horizon_weeks });
        return {
          artifacts: {
            roadmap: {
              roadmap_id: roadmapId,
              horizon_weeks,
              phases,
              semantic_payload: {
                roadmap_id: roadmapId,
                goal_count: goals.length,
                phase_count: phases.length,
                horizon_weeks,
              },
            },
          },
          events: [{ type: 'roadmap.created', data: { roadmap_id: roadmapId, phase_count: phases.length } }],
        };
      },
    },

    create_poc: {
      description: 'Plan a time-boxed proof of concept for a hypothesis',
      params: createPocParams,
      handler({ hypothesis, success_criteria, duration_weeks }: z.output<typeof createPocParams>) {
        const pocId = contentId('poc_', { hypothesis, success_criteria, duration_weeks });
        const last = duration_weeks;
        const plan =
          last === 1
            ? [{ weeks: '1', activity: 'Set up, build the smallest slice, evaluate' }]
            : [
                { weeks: '1', activity: 'Set up the environment and measure a baseline' },
                ...(last > 2 ? [{ weeks: `2-${last - 1}`, activity: 'Build and iterate on the smallest slice that tests the hypothesis' }] : []),
                { weeks: `${last}`, activity: 'Evaluate against the success criteria; decide go / no-go' },
              ];
        return {
          artifacts: {
            poc: {
              poc_id: pocId,
              hypothesis,
              duration_weeks,
              success_criteria: success_criteria.map((criterion, i) => ({
                id: `c${i + 1}`,
                criterion,
                evaluated_in_week: last,
              })),
              plan,
              semantic_payload: {
                poc_id: pocId,
                hypothesis,
                criteria_count: success_criteria.length,
                duration_weeks,
              },
            },
          },
          events: [{ type: 'poc.created', data: { poc_id: pocId, duration_weeks } }],
        };
      },
    },

    create_blueprint: {
      description: 'Describe a solution architecture: components and external integrations',
      params: createBlueprintParams,
      handler({ name, components, integrations }: z.output<typeof createBlueprintParams>) {
        const blueprintId = contentId('bp_', { name, components, integrations });
        return {
          artifacts: {
            blueprint: {
              blueprint_id: blueprintId,
              name,
              components: components.map((c, i) => ({ id: `comp${i + 1}`, name: c })),
              integrations: integrations.map((c, i) => ({ id: `int${i + 1}`, name: c })),
              semantic_payload: {
                blueprint_id: blueprintId,
                name,
                component_count: components.length,
                integration_count: integrations.length,
              },
            },
          },
          events: [{ type: 'blueprint.created', data: { blueprint_id: blueprintId, name } }],
        };
      },
    },
  },
});

export default outcomes;
