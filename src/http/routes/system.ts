import { StoreError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Health, Problem, Ready } from '../schemas.ts';

/** Liveness, readiness (the store answers) and Prometheus metrics. */
export const systemRoutes = (ctx: RouteContext) => [
  defineRoute({
    method: 'GET',
    url: '/healthz',
    operationId: 'health',
    summary: 'The process is up',
    tag: 'system',
    access: 'public',
    responses: { 200: { description: 'up', schema: Health } },
    handler: async () => ({ status: 'ok' }),
  }),
  defineRoute({
    method: 'GET',
    url: '/readyz',
    operationId: 'ready',
    summary: 'The store answers queries',
    tag: 'system',
    access: 'public',
    responses: { 200: { description: 'ready', schema: Ready }, 503: { description: 'the store does not answer', schema: Problem } },
    async handler() {
      try {
        await ctx.runtime.ping();
      } catch (err) {
        throw new StoreError(`the store does not answer: ${(err as Error).message}`, { cause: err });
      }
      return { status: 'ready', store: ctx.runtime.storeKind };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics: executions by status, decisions by layer, stage latencies, outbox lag (admin key)',
    tag: 'system',
    access: 'admin',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' }, 401: { description: 'no admin key', schema: Problem } },
    async handler({ reply }) {
      const text = await ctx.runtime.metrics.render();
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  }),
];
