
import { parseDuration } from '../../policy/duration.ts';
import { parsePlatformPolicy } from '../../policy/platform-policy.ts';
import { keepAttached, loadPolicyResolver, type PolicyResolver } from '../../policy/policy-resolver.ts';
import { parseSolutionConfig } from '../../policy/solution-config.ts';
import { ANY_TENANT } from '../../db/tenant-scope.ts';
import { InvalidRequestError, PolicyConfigError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ApplyReport, PolicyApplyBody, PolicyDiff, PolicyDiffBody } from '../schemas/index.ts';

/**
 * The candidate policy of a request body: a solution config and platform
 * rules, as their files would say. Tenants and solutions keep the configs
 * attached to them now (a request cannot attach files).
 */
async function candidate(ctx: RouteContext, body: { solution?: Record<string, unknown> | undefined; platform?: Record<string, unknown> | undefined }): Promise<PolicyResolver> {
  const platform = body.platform ? inBody('platform', (source) => parsePlatformPolicy(body.platform!, source)) : undefined;
  if (platform && (Object.keys(platform.tenants).length > 0 || Object.keys(platform.solutions).length > 0)) {
    throw new InvalidRequestError('tenants and solutions attach config files; give them in the platform policy file, not a request', [
      { in: 'body', path: 'platform', message: 'may not attach tenants or solutions' },
    ]);
  }
  const solution = body.solution ? inBody('solution', (source) => parseSolutionConfig(body.solution!, source)) : undefined;
  return keepAttached(await loadPolicyResolver({ solution, platform }), await ctx.runtime.inForcePolicy());
}

/** `policy diff` and `policy apply` for operators: what a candidate policy would change, and making it active. */
export const policyChangeRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'POST',
    url: '/v1/admin/policy/diff',
    operationId: 'diffPolicy',
    summary: 'What a candidate policy would change: recorded decisions re-evaluated, per tenant and result type (nothing is changed)',
    tag: 'admin',
    access: 'admin',
    body: PolicyDiffBody,
    responses: { 200: { description: 'the moves, with counts, bytes and examples', schema: PolicyDiff } },
    handler: async ({ body }) =>
      ctx.runtime.diffPolicy(await candidate(ctx, body), {
        tenantId: body.tenantId ?? ANY_TENANT,
        ...(body.since ? { since: new Date(Date.now() - sinceSeconds(body.since) * 1000) } : {}),
      }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/admin/policy/apply',
    operationId: 'applyPolicy',
    summary: 'Make a policy the active one (recorded in the WAL); retroactive: re-apply it to stored artifacts',
    tag: 'admin',
    access: 'admin',
    body: PolicyApplyBody,
    responses: { 200: { description: 'what was activated and changed', schema: ApplyReport }, 400: { description: 'an invalid candidate' } },
    handler: async ({ body }) => ctx.runtime.applyPolicy(await candidate(ctx, body), { retroactive: body.retroactive === true }),
  }),
];

/**
 * Parses the policy a body field holds; its PolicyConfigError gets an issue
 * per problem naming the field inside the body (`solution.materialization_policy.workflow`),
 * read from the parser's `SOURCE: PATH: problem` lines.
 */
function inBody<T>(field: 'solution' | 'platform', parse: (source: string) => T): T {
  const source = `request body ${field}`;
  try {
    return parse(source);
  } catch (err) {
    if (!(err instanceof PolicyConfigError)) throw err;
    const issues = err.message.split('\n').map((line) => {
      let path: string = field;
      let message = line.startsWith(`${source}: `) ? line.slice(source.length + 2) : line;
      // Leading `key.path[0]: ` segments are where in the field the problem is.
      for (let m = PATH_PREFIX.exec(message); m; m = PATH_PREFIX.exec(message)) {
        path = `${path}.${m[1]}`;
        message = m[2]!;
      }
      return { in: 'body' as const, path, message };
    });
    throw new PolicyConfigError(err.message, err.file, { cause: err, issues });
  }
}

/** `key.path[0]: ` or a rule's `governance[0] ('id'): ` (its id dropped: the path names it). */
const PATH_PREFIX = /^([A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*)(?: \('[^']*'\))?: (.+)$/s;

/** `since` through the one duration parser: a 400 naming the field and the limit, never a 500 from an invalid date. */
function sinceSeconds(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    const message = (err as Error).message;
    throw new InvalidRequestError(`since: ${message}`, [{ in: 'body', path: 'since', message }]);
  }
}
