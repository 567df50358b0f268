import { z } from 'zod';
import type { Route } from './route.ts';
import { Problem, problemWithStatus } from './schemas/index.ts';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (what OpenAPI 3.1 uses) of a zod schema: what a client sends (`input`) or receives (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Fastify's `/v1/x/:id` as OpenAPI's `/v1/x/{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => {
    const { description, ...rest } = p;
    return {
      name: where === 'header' ? name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()) : name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** On every tenant route: the admin key acts for the tenant this header names (the operator console's tenant picker). */
const ACT_FOR_TENANT: JsonSchema = {
  name: 'Symphainy-Tenant',
  in: 'header',
  required: false,
  description: 'with the admin key only: act for this registered tenant (a tenant key ignores it; its tenant is its own)',
  schema: { type: 'string' },
};

/**
 * The OpenAPI 3.1 document of the routes, built from the zod schemas that
 * validate their requests, so the document is never out of date.
 */
export function buildOpenApi(routes: readonly Route[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      if (Number(status) >= 400) {
        responses[status] = problemResponse(Number(status), spec.description);
        continue;
      }
      const content = spec.schema
        ? { 'application/json': { schema: jsonSchema(spec.schema, 'output') } }
        : spec.contentType
          ? { [spec.contentType]: { schema: { type: 'string' } } }
          : undefined;
      responses[status] = {
        description: spec.description,
        ...(content ? { content } : {}),
        ...(spec.headers
          ? { headers: Object.fromEntries(Object.entries(spec.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) }
          : {}),
      };
    }
    // Answers every route of its kind can give, whatever the route lists.
    const also = (status: number, description: string) => {
      const listed = responses[status];
      responses[status] = listed ? problemResponse(status, `${String(listed.description)}; or ${description}`) : problemResponse(status, description);
    };
    if (r.access !== 'public') {
      if (!r.responses[401]) also(401, 'no API key, or an invalid one');
      also(403, r.access === 'admin' ? 'not the admin key' : 'the admin key on a tenant route without a Symphainy-Tenant header naming a registered tenant');
    }
    // Every route validates its inputs; one that declares no query or body refuses any (registerRoutes).
    if (!r.responses[400]) also(400, 'a malformed request (an unknown query parameter or field, too); `errors` names each');
    if (r.body || r.method !== 'GET') {
      // Answered by the body parser before any route code runs (it reads a body on every method but GET and HEAD).
      if (!r.responses[413]) also(413, 'the body is larger than limits.body_bytes');
      also(415, 'the body is not application/json');
    }
    const operation: JsonSchema = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.access === 'public' ? { security: [] } : r.access === 'admin' ? { security: [{ adminKey: [] }] } : {}),
      parameters: [
        ...parameters(r.params, 'path'), ...parameters(r.query, 'query'), ...parameters(r.headers, 'header'),
        ...(r.access === 'tenant' ? [ACT_FOR_TENANT] : []),
      ],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses,
    };
    (paths[openapiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SymphAIny runtime API',
      version: info.version,
      description:
        'Intents executed by realms; every produced artifact persisted, cached or discarded by policy, with the reason recorded. ' +
        "Every route but /healthz, /readyz and /openapi.json needs `Authorization: Bearer <key>`; the tenant is the key's.",
    },
    servers: [{ url: '/' }],
    security: [{ tenantKey: [] }],
    components: {
      // Any problem document, also those answered before routing (404 no such route, 408, 414, 431).
      schemas: { Problem: jsonSchema(Problem, 'output') },
      securitySchemes: {
        tenantKey: { type: 'http', scheme: 'bearer', description: "a tenant's API key (symphainy tenants create NAME)" },
        adminKey: { type: 'http', scheme: 'bearer', description: 'the admin key (SYMPHAINY_ADMIN_KEY)' },
      },
    },
    paths,
  };
}

/**
 * An error response: a problem document whose `code` is one the table gives
 * this status, so the document and src/http/problem-types.ts cannot disagree.
 */
function problemResponse(status: number, description: string): JsonSchema {
  return { description, content: { 'application/problem+json': { schema: jsonSchema(problemWithStatus(status), 'output') } } };
}
