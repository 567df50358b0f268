import type { FastifyInstance } from 'fastify';
import { createHttpServer, type HttpServerOptions } from '../../src/http/server.ts';
import type { RuntimeOptions } from '../../src/index.ts';
import { MVP_CONFIG, silentLogger, testRuntime, type TestRuntime } from './test-runtime.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnop';

export interface TestServer extends TestRuntime {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Registers a tenant and returns its API key. */
  tenant(tenantId: string): Promise<string>;
  /** fetch(url + path) with `Authorization: Bearer key` (and JSON content type when a body is given). */
  call(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
}

/**
 * A real HTTP server on loopback over a fresh test runtime (example realms,
 * MVP policy so artifacts are persisted), with the admin key set.
 */
export async function startTestServer(
  options: { runtime?: RuntimeOptions; http?: HttpServerOptions } = {},
): Promise<TestServer> {
  const t = await testRuntime({ solutionConfig: MVP_CONFIG, ...options.runtime });
  const app = await createHttpServer(t.runtime, { adminKey: ADMIN_KEY, logger: silentLogger, ...options.http });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    ...t,
    app,
    url,
    async tenant(tenantId) {
      return (await t.runtime.tenants.create(tenantId)).apiKey;
    },
    async call(path, init = {}) {
      const { key, json, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key) h.set('authorization', `Bearer ${key}`);
      if (json !== undefined) h.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...rest, headers: h, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    async close() {
      await app.close();
      await t.close();
    },
  };
}
