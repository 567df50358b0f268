import { z } from 'zod';
import { StoreError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { Health, Ready } from '../schemas/index.ts';

/** /readyz: `ready`, or `degraded` naming each part that is not connected (events wait in the outbox meanwhile). */
const Readiness = Ready.extend({
  status: z.enum(['ready', 'degraded']),
  parts: z
    .array(z.object({ name: z.string(), status: z.enum(['ok', 'degraded', 'down']), detail: z.string().optional() }))
    .optional()
    .describe('when degraded: store, events:<sink>, cache:<tier> with their status'),
});

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
    summary: 'The store answers queries (within about a second); degraded parts are named',
    tag: 'system',
    access: 'public',
    responses: {
      200: { description: 'ready, or degraded: serving while a named part (event sink, cache) reconnects', schema: Readiness },
      503: { description: 'the store does not answer (or the runtime is shutting down); the detail names the part' },
    },
    async handler() {
      const report = await ctx.runtime.readiness();
      const notOk = report.parts.filter((p) => p.status !== 'ok');
      if (report.status === 'down') {
        const parts = notOk.map((p) => `${p.name === 'store' ? `store (${ctx.runtime.storeKind})` : p.name} ${p.status}${p.detail ? `: ${p.detail}` : ''}`);
        throw new StoreError(`not ready: ${parts.join('; ')}`);
      }
      // `parts` only when one is not ok: a healthy answer stays `{ status, store }`.
      if (notOk.length === 0) return { status: 'ready', store: ctx.runtime.storeKind };
      return { status: 'degraded', store: ctx.runtime.storeKind, parts: report.parts } as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics: executions by status, decisions by layer, stage latencies, outbox lag (admin key)',
    tag: 'system',
    access: 'admin',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' }, 401: { description: 'no admin key' } },
    async handler({ reply }) {
      const text = await ctx.runtime.metrics.render();
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  }),
];
