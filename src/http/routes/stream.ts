import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { TenantScope } from '../../db/tenant-scope.ts';
import type { Runtime } from '../../runtime/create-runtime.ts';
import { tenantOf } from '../auth.ts';
import { defineRoute, type RouteContext } from '../route.ts';
import { ExecutionParams, Problem } from '../schemas/index.ts';

/** Statuses after which an execution emits nothing more. */
const ENDED = new Set(['completed', 'failed', 'dead']);

const StreamHeaders = z.object({
  'last-event-id': z.string().regex(/^\d{1,15}$/, 'must be the id of a chunk of this stream').optional()
    .describe('resume after this chunk (sent by SSE clients on reconnect)'),
});

export interface ExecutionStreamOptions {
  /** Pause between looks at the store while the execution runs, in ms. @default 200 */
  readonly pollMs?: number;
  /** Comment line sent when idle, so proxies keep the connection, in ms. @default 15000 */
  readonly heartbeatMs?: number;
}

/**
 * `GET /v1/executions/:id/stream`: the partial output an execution emits
 * (`ctx.emit`) as Server-Sent Events — `id` the chunk's seq (resume with
 * `Last-Event-ID`), `event: chunk`, `data` the chunk as JSON — until the
 * execution ends; then `event: end` with its status, and the response ends.
 * Another tenant's execution is a 404. `open` holds the streams being
 * served, so the server can end them when it closes.
 */
export const streamRoutes = (ctx: RouteContext, open: Set<{ close(): void }>, options: ExecutionStreamOptions = {}) => [
  defineRoute({
    method: 'GET',
    url: '/v1/executions/:id/stream',
    operationId: 'streamExecution',
    summary: "An execution's partial output (ctx.emit) while it runs (text/event-stream); reconnect with Last-Event-ID to resume",
    tag: 'executions',
    access: 'tenant',
    params: ExecutionParams,
    headers: StreamHeaders,
    responses: {
      200: { description: '`id` the chunk seq, `event: chunk`, `data` the chunk as JSON; `event: end` with the status when the execution ended', contentType: 'text/event-stream' },
      400: { description: 'Last-Event-ID is not a chunk id', schema: Problem },
      404: { description: 'no such execution for this tenant', schema: Problem },
    },
    async handler({ params, headers, caller, request, reply }) {
      const tenantId = tenantOf(caller);
      await ctx.runtime.getExecution(params.id, { tenantId }); // 404 unless it is this tenant's
      if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').send();
      reply.hijack();
      const after = headers['last-event-id'] ? Number(headers['last-event-id']) : 0;
      const stream = new ExecutionStreamResponse(reply.raw, ctx.runtime, tenantId, params.id, after, request.log, options);
      open.add(stream);
      try {
        await stream.run();
      } finally {
        open.delete(stream);
      }
    },
  }),
];

/** One client's stream of one execution's chunks, read from the store (any runtime may run the execution). */
class ExecutionStreamResponse {
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse, private readonly runtime: Runtime, private readonly tenantId: TenantScope,
    private readonly executionId: string, private after: number, private readonly log: FastifyBaseLogger, private readonly o: ExecutionStreamOptions,
  ) {}

  async run(): Promise<void> {
    const res = this.res;
    res.on('close', () => this.close());
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    let idleSince = Date.now();
    try {
      while (!this.#closed) {
        // The status first: when it says ended, every chunk was stored before the chunks are read.
        const { status } = await this.runtime.getExecution(this.executionId, { tenantId: this.tenantId });
        const chunks = await this.runtime.modelWork.streamChunks(this.tenantId, this.executionId, this.after, 200);
        for (const c of chunks) {
          if (this.#closed) return;
          await this.#write(`id: ${c.seq}\nevent: chunk\ndata: ${JSON.stringify(c.chunk)}\n\n`);
          this.after = c.seq;
        }
        if (chunks.length === 200) continue;
        if (ENDED.has(status)) {
          await this.#write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`);
          return;
        }
        if (chunks.length > 0) idleSince = Date.now();
        else if (Date.now() - idleSince >= (this.o.heartbeatMs ?? 15_000)) {
          await this.#write(': keep-alive\n\n');
          idleSince = Date.now();
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, this.o.pollMs ?? 200);
        });
      }
    } catch (err) {
      if (!this.#closed) this.log.warn({ err, executionId: this.executionId }, 'execution stream stopped');
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    if (!this.res.writableEnded) this.res.end();
  }

  async #write(chunk: string): Promise<void> {
    if (this.#closed) return;
    if (!this.res.write(chunk)) {
      await new Promise<void>((resolve) => {
        this.res.once('drain', resolve);
        this.res.once('close', resolve);
      });
    }
  }
}
