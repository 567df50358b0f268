/**
 * Marks "every tenant" for operator tools (the CLI, sweeps). Queries take a
 * tenant id or this symbol — never an empty or missing value — so a
 * forgotten tenant cannot silently widen a read.
 */
export const ANY_TENANT: unique symbol = Symbol('symphainy.anyTenant');
export type TenantScope = string | typeof ANY_TENANT;

/** The tenant as a SQL parameter: null means every tenant. */
export function tenantParam(scope: TenantScope): string | null {
  if (scope === ANY_TENANT) return null;
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new TypeError('a tenant id (or ANY_TENANT) is required');
  }
  return scope;
}

/**
 * The setting row-level security reads (migration 4): a scoped transaction
 * sets it first, for that transaction only. Unset (or empty), no row of a
 * tenant table is visible or writable.
 */
export const TENANT_SETTING = 'symphainy.tenant';

/** {@link TENANT_SETTING}'s value for a scope: the tenant id, or `*` for ANY_TENANT. */
export function tenantSetting(scope: TenantScope): string {
  const tenant = tenantParam(scope);
  if (tenant === null) return '*';
  if (tenant === '*') throw new TypeError("'*' is not a tenant id (it stands for every tenant)");
  return tenant;
}
