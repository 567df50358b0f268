/** One plain-SQL migration of the store's schema (see {@link ./migrations.ts}). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Row-level security of one tenant table (migration 4): rows of the transaction's tenant, or all with '*'. */
export function tenantIsolation(table: string): string {
  const own = "NULLIF(current_setting('symphainy.tenant', true), '') IN (tenant_id, '*')";
  return `ALTER TABLE symphainy.${table} ENABLE ROW LEVEL SECURITY;
      ALTER TABLE symphainy.${table} FORCE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON symphainy.${table} USING (${own}) WITH CHECK (${own});`;
}
