import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.ts';
import { refuseUnstorable } from '../json/storable-text.ts';
import { TENANT_ID } from '../intent/intent.ts';
import type { Queryable } from '../db/db.ts';
import { iso } from '../db/sql.ts';
import { generateApiKey, keyIdOf, keyMatches } from './api-key.ts';

export interface TenantRecord {
  readonly tenantId: string;
  readonly createdAt: string;
  /** Keys that still work. */
  readonly activeKeys: number;
}

/** A key as issued: `apiKey` is shown this once and never stored. */
export interface IssuedKey {
  readonly tenantId: string;
  readonly keyId: string;
  readonly apiKey: string;
}

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** How long a verified key is trusted without asking the database again (a revocation elsewhere takes this long). */
const AUTH_CACHE_MS = 5_000;

/**
 * General notes: the tenant registry owns `tenants` and `api_keys` — who may
 * call the HTTP API and as which tenant. The tenant of a request comes from
 * its key, never from what the request says.
 */
export class TenantRegistry {
  readonly #verified = new Map<string, { sha256: string; tenantId: string; until: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Registers a tenant and issues its first key. */
  async create(tenantId: string): Promise<IssuedKey> {
    checkTenantId(tenantId);
    const rows = await this.db.query(
      'INSERT INTO symphainy.tenants (tenant_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING tenant_id',
      [tenantId, this.now().toISOString()],
    );
    if (rows.length === 0) throw new ConflictError(`tenant '${tenantId}' already exists (issue another key with 'tenants add-key')`);
    return this.issueKey(tenantId);
  }

  /** Issues another key for an existing tenant (e.g. to rotate: issue, switch, revoke the old one). */
  async issueKey(tenantId: string): Promise<IssuedKey> {
    await this.#mustExist(tenantId);
    const k = generateApiKey();
    await this.db.query(
      'INSERT INTO symphainy.api_keys (key_id, tenant_id, key_sha256, created_at) VALUES ($1, $2, $3, $4)',
      [k.keyId, tenantId, k.sha256, this.now().toISOString()],
    );
    return { tenantId, keyId: k.keyId, apiKey: k.key };
  }

  /** Revokes a key at once in this process (within a few seconds in others). */
  async revokeKey(keyId: string): Promise<ApiKeyRecord> {
    refuseUnstorable({ keyId });
    const rows = await this.db.query(
      `UPDATE symphainy.api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE key_id = $1
       RETURNING key_id, tenant_id, created_at, revoked_at`,
      [keyId, this.now().toISOString()],
    );
    this.#verified.delete(keyId);
    if (!rows[0]) throw new NotFoundError('API key', keyId);
    return toKey(rows[0]);
  }

  async list(): Promise<TenantRecord[]> {
    const rows = await this.db.query(
      `SELECT t.tenant_id, t.created_at, count(k.key_id) FILTER (WHERE k.revoked_at IS NULL) AS active_keys
         FROM symphainy.tenants t LEFT JOIN symphainy.api_keys k ON k.tenant_id = t.tenant_id
        GROUP BY t.tenant_id, t.created_at ORDER BY t.tenant_id`,
    );
    return rows.map((r) => ({ tenantId: r.tenant_id as string, createdAt: iso(r.created_at)!, activeKeys: Number(r.active_keys) }));
  }

  async keys(tenantId: string): Promise<ApiKeyRecord[]> {
    await this.#mustExist(tenantId);
    const rows = await this.db.query(
      'SELECT key_id, tenant_id, created_at, revoked_at FROM symphainy.api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id',
      [tenantId],
    );
    return rows.map(toKey);
  }

  async #mustExist(tenantId: string): Promise<void> {
    refuseUnstorable({ tenantId });
    const rows = await this.db.query('SELECT 1 FROM symphainy.tenants WHERE tenant_id = $1', [tenantId]);
    if (rows.length === 0) throw new NotFoundError('tenant', tenantId);
  }

  /** The tenant a key belongs to, or null for a malformed, unknown or revoked key. */
  async authenticate(apiKey: string): Promise<{ tenantId: string; keyId: string } | null> {
    const keyId = typeof apiKey === 'string' ? keyIdOf(apiKey) : null;
    if (!keyId) return null;
    let known = this.#verified.get(keyId);
    if (!known || known.until < Date.now()) {
      this.#verified.delete(keyId);
      const rows = await this.db.query<{ key_sha256: string; tenant_id: string }>(
        'SELECT key_sha256, tenant_id FROM symphainy.api_keys WHERE key_id = $1 AND revoked_at IS NULL',
        [keyId],
      );
      if (!rows[0]) return null;
      known = { sha256: rows[0].key_sha256, tenantId: rows[0].tenant_id, until: Date.now() + AUTH_CACHE_MS };
      this.#verified.set(keyId, known);
    }
    return keyMatches(apiKey, known.sha256) ? { tenantId: known.tenantId, keyId } : null;
  }
}

/** Throws InvalidRequestError unless `tenantId` is a valid tenant id (callers may check before opening a store). */
export function checkTenantId(tenantId: unknown): asserts tenantId is string {
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
    throw new InvalidRequestError(
      `tenant id ${JSON.stringify(tenantId)} is not a valid id (letters, digits, . _ - : @; at most 128; not starting with 'symphainy:')`,
      [{ path: 'tenantId', message: 'is not a valid id' }],
    );
  }
}

function toKey(r: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: r.key_id as string,
    tenantId: r.tenant_id as string,
    createdAt: iso(r.created_at)!,
    revokedAt: iso(r.revoked_at),
  };
}
