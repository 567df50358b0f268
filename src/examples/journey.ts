/**
 * The journey realm: turns a written SOP into a workflow (plus a flowchart
 * visual), and a workflow back into an SOP. Both intents return the
 * structured result shape — `sop_to_workflow` in camelCase, `workflow_to_sop`
 * in the plan's snake_case — so the runtime sees both spellings.
 */
import { z } from 'zod';
import { defineRealm } from '../realm/define-realm.ts';
import { rendering } from '../realm/rendering.ts';
import { toMermaid, toSvg, type FlowStep } from './lib/flowchart.ts';
import { parseSop } from './lib/sop-parser.ts';
import { contentId, markdown, text } from './lib/support.ts';

export const sopToWorkflowParams = z.strictObject({
  sop_text: z
    .string()
    .min(1)
    .max(100_000)
    .refine((s) => s.trim().length > 0, { message: 'must not be blank' }),
  title: text(200).optional(),
});

export const workflowToSopParams = z.strictObject({
  workflow: z.object({
    title: text(200).optional(),
    steps: z.array(z.union([text(2_000), z.object({ action: text(2_000) })])).min(1),
  }),
  workflow_artifact_id: text(200).optional(),
});

const numbered = (steps: readonly string[]) => steps.map((s, i) => `${i + 1}. ${s}`).join('\n');

export const journey = defineRealm({
  name: 'journey',
  description: 'SOP ⇄ workflow conversion, with a flowchart visual',
  intents: {
    sop_to_workflow: {
      description: 'Parse an SOP text into an ordered workflow and a flowchart (Mermaid + SVG)',
      params: sopToWorkflowParams,
      handler(params: z.output<typeof sopToWorkflowParams>) {
        const parsed = parseSop(params.sop_text);
        if (parsed.steps.length === 0) throw new Error('no steps found in sop_text');
        const title = params.title ?? parsed.heading ?? 'Untitled workflow';
        const steps: FlowStep[] = parsed.steps.map((action, i) => ({ id: `s${i + 1}`, order: i + 1, action }));
        const workflowId = contentId('wf_', parsed.steps);
        const stepCount = steps.length;
        return {
          artifacts: {
            workflow: {
              resultType: 'workflow',
              semanticPayload: { workflowId, title, steps, stepCount },
              renderings: {
                workflow_json: { title, steps },
                markdown: markdown(`# ${title}\n\n${numbered(parsed.steps)}\n`),
              },
            },
            visual: {
              resultType: 'visual',
              semanticPayload: { kind: 'flowchart', nodeCount: stepCount, workflowId },
              renderings: {
                mermaid: rendering(toMermaid(steps), 'text/vnd.mermaid'),
                svg: rendering(toSvg(title, steps), 'image/svg+xml'),
              },
            },
          },
          events: [{ type: 'workflow.generated', data: { workflowId, stepCount } }],
        };
      },
    },

    workflow_to_sop: {
      description: 'Write a workflow (title + ordered steps) up as a standard operating procedure',
      params: workflowToSopParams,
      handler(params: z.output<typeof workflowToSopParams>) {
        const title = params.workflow.title ?? 'Standard operating procedure';
        const steps = params.workflow.steps.map((s) => (typeof s === 'string' ? s : s.action));
        const sourceId = params.workflow_artifact_id ?? null;
        const sopId = contentId('sop_', { title, steps });
        let md = `# ${title}\n\n${numbered(steps)}\n`;
        if (sourceId) md += `\n_Generated from workflow ${sourceId}._\n`;
        return {
          artifacts: {
            sop: {
              result_type: 'sop',
              semantic_payload: {
                sop_id: sopId,
                title,
                step_count: steps.length,
                steps,
                source_workflow_artifact_id: sourceId,
              },
              renderings: { markdown: markdown(md) },
            },
          },
          events: [
            {
              type: 'sop.generated',
              data: { sop_id: sopId, step_count: steps.length, source_workflow_artifact_id: sourceId },
            },
          ],
        };
      },
    },
  },
});

export default journey;
