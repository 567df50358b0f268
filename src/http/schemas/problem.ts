import { z } from 'zod';
import { codesWithStatus, PROBLEM_TYPES, type ProblemCode } from '../problem-types.ts';

/** RFC 9457 problem documents: the body of every error answer. */

const FieldIssues = z
  .array(z.object({ in: z.enum(['body', 'query', 'path', 'header']), field: z.string(), message: z.string() }))
  .describe('each offending field, header or query parameter; on every 4xx, empty when none in particular is');

/** Any problem document: its code is one of the table's (src/http/problem-types.ts, docs/errors.md). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  code: z.enum(Object.keys(PROBLEM_TYPES) as [ProblemCode, ...ProblemCode[]]).describe('the runtime error code (docs/errors.md)'),
  errors: FieldIssues.optional(),
});

/**
 * The problem document of an answer with this status: `code` is one of the
 * codes the table gives this status, so the OpenAPI document says which
 * codes each error response carries.
 * @throws Error when no code has this status (a route documents a status nothing answers with)
 */
export function problemWithStatus(status: number): z.ZodType {
  const codes = codesWithStatus(status);
  if (codes.length === 0) throw new Error(`no error code has status ${status} (src/http/problem-types.ts)`);
  return Problem.extend({
    status: z.literal(status),
    code: z.enum(codes as [ProblemCode, ...ProblemCode[]]).describe(`the runtime error code (docs/errors.md): ${codes.join(', ')}`),
    // A client error always says what was wrong (problem.ts), a server error only when it has fields to name.
    errors: status < 500 ? FieldIssues : FieldIssues.optional(),
  });
}
