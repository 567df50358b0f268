import { tenantOf } from '../auth.ts';
import { EventStream, type EventStreamOptions } from '../event-stream.ts';
import { InvalidRequestError } from '../../errors/index.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { EventsHeaders } from '../schemas/index.ts';

/** `GET /v1/events`: the tenant's committed events as Server-Sent Events, resumable with Last-Event-ID. */
export const eventRoutes = (ctx: RouteContext, streams: Set<EventStream>, options: EventStreamOptions = {}) => [
  defineRoute({
    method: 'GET',
    url: '/v1/events',
    operationId: 'streamEvents',
    summary: "This tenant's outbox events, live (text/event-stream); reconnect with Last-Event-ID to resume",
    tag: 'events',
    access: 'tenant',
    headers: EventsHeaders,
    responses: {
      200: { description: 'an endless stream: `id` is the event id, `event` its type, `data` the event as JSON', contentType: 'text/event-stream' },
      400: { description: 'Last-Event-ID is not an event of this tenant' },
    },
    async handler({ headers, caller, request, reply }) {
      const tenantId = tenantOf(caller);
      const last = headers['last-event-id'];
      const after = last ? await ctx.runtime.eventPosition(last, tenantId) : null;
      if (last && !after) {
        throw new InvalidRequestError(`Last-Event-ID '${last}' is not an event of this tenant`, [
          { in: 'header', path: 'Last-Event-ID', message: 'is not an event of this tenant' },
        ]);
      }
      // HEAD (fastify answers it with the GET route): the headers only. Node drops a HEAD response's writes,
      // so a stream would never send its headers and would hold the connection until the client gives up.
      if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').send();
      reply.hijack();
      const stream = new EventStream({ res: reply.raw, runtime: ctx.runtime, tenantId, after, log: request.log, options });
      streams.add(stream);
      try {
        await stream.run();
      } finally {
        streams.delete(stream);
      }
    },
  }),
];
