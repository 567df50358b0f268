import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/** `/v1/events`: the resume header, and an outbox event as streams and execution results show it. */

export const EventsHeaders = z.object({
  'last-event-id': Id.optional().describe('resume after this event (sent by SSE clients on reconnect)'),
});

export const Event = z.object({
  eventId: z.string(),
  eventType: z.string(),
  source: z.enum(['realm', 'runtime']),
  tenantId: z.string(),
  sessionId: z.string(),
  executionId: z.string().nullable(),
  payload: z.unknown(),
  createdAt: Timestamp,
});
