import { z } from 'zod';
import { TenantId, Timestamp } from './common.ts';

/** Tenant and API key management (admin key). */

export const CreateTenantBody = z.strictObject({ tenantId: TenantId });

export const TenantParams = z.strictObject({ tenantId: TenantId });
export const KeyParams = z.strictObject({ keyId: z.string().regex(/^[a-f0-9]{16}$/, 'is not a key id') });

export const IssuedKey = z.object({
  tenantId: z.string(),
  keyId: z.string(),
  apiKey: z.string().describe('shown once; only its hash is stored'),
});
export const Tenant = z.object({ tenantId: z.string(), createdAt: Timestamp, activeKeys: z.number().int() });
export const ApiKey = z.object({ keyId: z.string(), tenantId: z.string(), createdAt: Timestamp, revokedAt: Timestamp.nullable() });
