import type { Command } from 'commander';
import { checkTenantId } from '../../tenants/tenant-registry.ts';
import { openRuntime } from '../lazy-runtime.ts';
import { printJson, printTable } from '../output.ts';


/**
 * Tenant and API key management on the store directly (the operator's tool).
 * While `symphainy serve` holds an embedded data dir, use the admin routes
 * (`/v1/admin/...`) instead.
 */
export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('tenants of the HTTP API and their API keys (only a hash of each key is stored)');
  tenants
    .command('create')
    .argument('<tenantId>', 'the tenant id (letters, digits, . _ - : @)')
    .option('--json', 'print JSON')
    .description('register a tenant and print its first API key, once')
    .action(async (tenantId: string, opts, cmd: Command) => {
      checkTenantId(tenantId); // before opening the data dir: a typo should not wait for it, or initialize it
      const { withRuntime } = await openRuntime();
      const issued = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.tenants.create(tenantId));
      printIssued(issued, opts.json);
    });
  tenants
    .command('add-key')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .description('issue another API key for a tenant (rotate: add, switch clients, revoke the old key)')
    .action(async (tenantId: string, opts, cmd: Command) => {
      checkTenantId(tenantId);
      const { withRuntime } = await openRuntime();
      printIssued(await withRuntime(cmd.optsWithGlobals(), (rt) => rt.tenants.issueKey(tenantId)), opts.json);
    });
  tenants
    .command('revoke-key')
    .argument('<keyId>', 'the key id (the 16 hex digits after sym_)')
    .option('--json', 'print the revoked key record as JSON')
    .description('revoke an API key')
    .action(async (keyId: string, opts, cmd: Command) => {
      const { withRuntime } = await openRuntime();
      const k = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.tenants.revokeKey(keyId));
      if (opts.json) return printJson(k);
      process.stdout.write(`revoked key ${k.keyId} of tenant '${k.tenantId}'\n`);
    });
  tenants
    .command('list')
    .option('--json', 'print JSON')
    .description('registered tenants and their active key counts')
    .action(async (opts, cmd: Command) => {
      const { withRuntime } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.tenants.list());
      if (opts.json) return printJson(rows);
      printTable(['tenant', 'active keys', 'created'], rows.map((t) => [t.tenantId, t.activeKeys, t.createdAt]));
    });
  tenants
    .command('keys')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .description("a tenant's keys: ids and dates (never the keys)")
    .action(async (tenantId: string, opts, cmd: Command) => {
      checkTenantId(tenantId);
      const { withRuntime } = await openRuntime();
      const rows = await withRuntime(cmd.optsWithGlobals(), (rt) => rt.tenants.keys(tenantId));
      if (opts.json) return printJson(rows);
      printTable(['key id', 'created', 'revoked'], rows.map((k) => [k.keyId, k.createdAt, k.revokedAt ?? '-']));
    });
}

function printIssued(issued: { tenantId: string; keyId: string; apiKey: string }, json: boolean | undefined): void {
  if (json) return printJson(issued);
  process.stdout.write(
    `tenant '${issued.tenantId}', key ${issued.keyId}\n${issued.apiKey}\n` +
      'Keep this key: it is shown once; only its hash is stored. Send it as: Authorization: Bearer <key>\n',
  );
}
