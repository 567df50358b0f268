/**
 * The HTTP API's request and response schemas, one file per concept. The
 * same zod objects validate requests (route.ts) and generate the OpenAPI
 * document (openapi.ts), so the two cannot drift apart.
 * @module
 */
export { Id, page, pageQuery } from './common.ts';
export * from './artifacts.ts';
export * from './checkpoints.ts';
export * from './events.ts';
export * from './executions.ts';
export * from './governance.ts';
export * from './intents.ts';
export * from './policy.ts';
export * from './problem.ts';
export * from './system.ts';
export * from './tenants.ts';
