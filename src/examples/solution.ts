/**
 * The solution realm: composes a named solution from artifacts made by other
 * intents (a roadmap, a PoC, a blueprint), referenced by artifact id. Returns
 * the structured shape in the plan's snake_case.
 */
import { z } from 'zod';
import { defineRealm } from '../realm/define-realm.ts';
import { contentId, markdown, text } from './lib/support.ts';

export const composeParams = z.strictObject({
  name: text(200),
  summary: text(2_000).optional(),
  roadmap_artifact_id: text(200).optional(),
  poc_artifact_id: text(200).optional(),
  blueprint_artifact_id: text(200).optional(),
});

const ROLES = ['roadmap', 'poc', 'blueprint'] as const;

export const solution = defineRealm({
  name: 'solution',
  description: 'Compose a solution from roadmap, PoC and blueprint artifacts',
  intents: {
    compose: {
      description: 'Compose a named solution that references existing artifacts by id',
      params: composeParams,
      handler(params: z.output<typeof composeParams>) {
        const summary = params.summary ?? null;
        const references = ROLES.flatMap((role) => {
          const id = params[`${role}_artifact_id`];
          return id ? [{ role, artifact_id: id }] : [];
        });
        const solutionId = contentId('sol_', { name: params.name, summary, references });

        let md = `# ${params.name}\n\n`;
        if (summary) md += `${summary}\n\n`;
        md += '## Artifacts\n\n';
        md += references.length
          ? references.map((r) => `- ${r.role}: \`${r.artifact_id}\``).join('\n') + '\n'
          : '_No artifacts referenced yet._\n';

        return {
          artifacts: {
            solution: {
              result_type: 'solution',
              semantic_payload: {
                solution_id: solutionId,
                name: params.name,
                summary,
                referenced_artifacts: references,
              },
              renderings: {
                markdown: markdown(md),
                solution_json: { solution_id: solutionId, name: params.name, summary, artifacts: references },
              },
            },
          },
          events: [
            { type: 'solution.composed', data: { solution_id: solutionId, artifact_count: references.length } },
          ],
        };
      },
    },
  },
});

export default solution;
