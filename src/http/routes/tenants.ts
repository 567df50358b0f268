import { defineRoute, type RouteContext } from '../route.ts';
import { ApiKey, CreateTenantBody, IssuedKey, KeyParams, Tenant, TenantParams } from '../schemas/index.ts';
import { z } from 'zod';

/** Tenant and key management, with the admin key only. */
export const tenantRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'POST',
    url: '/v1/admin/tenants',
    operationId: 'createTenant',
    summary: 'Register a tenant and issue its first API key (shown once)',
    tag: 'admin',
    access: 'admin',
    body: CreateTenantBody,
    responses: { 201: { description: 'created', schema: IssuedKey }, 409: { description: 'the tenant exists' } },
    handler: async ({ body, reply }) => reply.code(201).send(await ctx.runtime.tenants.create(body.tenantId)),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/admin/tenants',
    operationId: 'listTenants',
    summary: 'Registered tenants and how many keys each has',
    tag: 'admin',
    access: 'admin',
    responses: { 200: { description: 'tenants', schema: z.object({ items: z.array(Tenant) }) } },
    handler: async () => ({ items: await ctx.runtime.tenants.list() }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/admin/tenants/:tenantId/keys',
    operationId: 'issueKey',
    summary: "Issue another key for a tenant (rotation: issue, switch, revoke the old)",
    tag: 'admin',
    access: 'admin',
    params: TenantParams,
    responses: { 201: { description: 'issued', schema: IssuedKey }, 404: { description: 'no such tenant' } },
    handler: async ({ params, reply }) => reply.code(201).send(await ctx.runtime.tenants.issueKey(params.tenantId)),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/admin/tenants/:tenantId/keys',
    operationId: 'listKeys',
    summary: "A tenant's keys (ids and dates; never the keys)",
    tag: 'admin',
    access: 'admin',
    params: TenantParams,
    responses: { 200: { description: 'keys', schema: z.object({ items: z.array(ApiKey) }) }, 404: { description: 'no such tenant' } },
    handler: async ({ params }) => ({ items: await ctx.runtime.tenants.keys(params.tenantId) }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/admin/keys/:keyId',
    operationId: 'revokeKey',
    summary: 'Revoke a key (at once here, within seconds on other servers)',
    tag: 'admin',
    access: 'admin',
    params: KeyParams,
    responses: { 200: { description: 'revoked', schema: ApiKey }, 404: { description: 'no such key' } },
    handler: async ({ params }) => ctx.runtime.tenants.revokeKey(params.keyId),
  }),
];
