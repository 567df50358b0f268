import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sha256Hex } from '../tenants/api-key.ts';
import type { Access, RouteContext } from './route.ts';
import { ForbiddenError, InvalidRequestError, UnauthorizedError } from '../errors/index.ts';

/**
 * Who is calling: a tenant (by its key), the operator (admin key), the
 * operator acting for one tenant (admin key with a `Symphainy-Tenant`
 * header on a tenant route), or anyone on a public route.
 */
export type Caller =
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly keyId: string }
  | { readonly kind: 'operator'; readonly tenantId: string }
  | { readonly kind: 'admin' }
  | { readonly kind: 'anonymous' };

/** The header with which the admin key acts for one tenant on tenant routes. */
export const TENANT_HEADER = 'symphainy-tenant';

/**
 * Resolves the caller from `Authorization: Bearer <key>` and checks it may
 * use a route with this access. The tenant is the key's, never the request's.
 */
export async function authenticate(request: FastifyRequest, access: Access, ctx: RouteContext): Promise<Caller> {
  refuseRepeatedHeaders(request.raw.rawHeaders);
  if (access === 'public') return { kind: 'anonymous' };
  // No credential can open admin routes on a server without an admin key: 403, not a 401 inviting a retry.
  if (access === 'admin' && ctx.adminKey === undefined) {
    throw new ForbiddenError('admin routes are off: the server has no admin key (set SYMPHAINY_ADMIN_KEY)');
  }
  const key = bearer(request.headers.authorization);
  if (key === null) {
    throw new UnauthorizedError('this route needs an API key: send Authorization: Bearer <key>', [
      { in: 'header', path: 'Authorization', message: 'is missing or not a Bearer token' },
    ]);
  }
  const isAdmin = ctx.adminKey !== undefined && sameSecret(key, ctx.adminKey);
  if (access === 'admin') {
    if (isAdmin) return { kind: 'admin' };
    const tenant = await ctx.runtime.tenants.authenticate(key);
    if (tenant) {
      throw new ForbiddenError(`${request.method} ${request.routeOptions.url} needs the admin key; a tenant key cannot use it`, [
        { in: 'header', path: 'Authorization', message: 'is a tenant key; this route needs the admin key' },
      ]);
    }
    throw invalidKey();
  }
  if (isAdmin) {
    const named = request.headers[TENANT_HEADER];
    if (typeof named !== 'string' || named.length === 0) {
      throw new ForbiddenError("the admin key manages tenants; call tenant routes with a tenant's key, or name the tenant in a Symphainy-Tenant header", [
        { in: 'header', path: 'Symphainy-Tenant', message: 'is required with the admin key on a tenant route' },
      ]);
    }
    if (!(await ctx.runtime.tenants.list()).some((t) => t.tenantId === named)) {
      throw new ForbiddenError(`Symphainy-Tenant names no registered tenant ('${named.slice(0, 100)}')`, [
        { in: 'header', path: 'Symphainy-Tenant', message: 'names no registered tenant' },
      ]);
    }
    request.log = request.log.child({ tenantId: named, operator: true });
    return { kind: 'operator', tenantId: named };
  }
  const tenant = await ctx.runtime.tenants.authenticate(key);
  if (!tenant) throw invalidKey();
  request.log = request.log.child({ tenantId: tenant.tenantId });
  return { kind: 'tenant', ...tenant };
}

/** The tenant of a tenant route's caller: the key's, or the one the admin key named (registerRoutes has checked it is one). */
export function tenantOf(caller: Caller): string {
  if (caller.kind !== 'tenant' && caller.kind !== 'operator') throw new Error('tenant route reached without a tenant key');
  return caller.tenantId;
}

/** Who acted, as the WAL records it: `api-key:<id>` for a tenant key, `operator` for the admin key acting for a tenant. */
export const actorOf = (caller: Caller): string => (caller.kind === 'tenant' ? `api-key:${caller.keyId}` : caller.kind);

function invalidKey(): UnauthorizedError {
  return new UnauthorizedError('the API key is not valid (unknown, revoked or malformed)', [
    { in: 'header', path: 'Authorization', message: 'is not a valid API key' },
  ]);
}

/** Headers of which Node keeps the first when one is sent twice, dropping the other, with what the second makes ambiguous. */
const SINGLE_HEADERS: readonly (readonly [name: string, why: string])[] = [
  ['Authorization', 'ambiguous credentials: which key acts would be a guess'],
  ['Content-Type', 'ambiguous body: which type it is would be a guess'],
  ['Idempotency-Key', 'ambiguous request identity: which key it repeats would be a guess'],
  ['Symphainy-Tenant', 'ambiguous tenant: which one the admin acts for would be a guess'],
  ['Last-Event-ID', 'ambiguous resume point: where the stream goes on would be a guess'],
  ['traceparent', 'ambiguous trace context: which trace the request joins would be a guess'],
];

/** @throws InvalidRequestError naming a header of {@link SINGLE_HEADERS} sent more than once (Node's raw list: `[name, value, …]`). */
function refuseRepeatedHeaders(raw: readonly string[]): void {
  for (const [name, why] of SINGLE_HEADERS) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name.toLowerCase()) count++;
    if (count > 1) {
      throw new InvalidRequestError(`the request has more than one ${name} header (${why}): send one`, [
        { in: 'header', path: name, message: 'is sent more than once' },
      ]);
    }
  }
}

function bearer(header: string | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Constant-time comparison of secrets of any length (hashing first equalizes the lengths). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(a), 'hex'), Buffer.from(sha256Hex(b), 'hex'));
}
