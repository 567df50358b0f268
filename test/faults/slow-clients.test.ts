/**
 * Slow and half-sent HTTP requests cannot hold the server: header and
 * request timeouts close them, and a connection limit caps how many sockets
 * may be open at once. Settings come from `http.timeouts` and
 * `http.max_connections` of the runtime config.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRuntimeConfigYaml } from '../../src/runtime/runtime-config.ts';
import { resolveDatabaseTimeouts } from '../../src/runtime/backends.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { ConfigError } from '../../src/index.ts';
import { startTestServer } from '../support/http-server.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';

/** Opens a socket and sends `data`; resolves with what the server sent and whether it closed the socket, once closed or after `waitMs`. */
function halfSent(port: number, data: string): { socket: Socket; closed: Promise<string> } {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (c) => (received += c.toString()));
  socket.on('error', () => {});
  socket.on('connect', () => socket.write(data));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, closed };
}

describe('HTTP hardening: timeouts and connection limit', { skip: TEST_DRIVER === 'postgres' ? 'runs in the embedded pass' : false, timeout: 180_000 }, () => {
  test('200 half-sent requests (headers and part of a body, no API key) are answered 408 and closed within the request timeout', async () => {
    const server = await startTestServer({ http: { timeouts: { headersMs: 1000, requestMs: 1500 } } });
    const port = Number(new URL(server.url).port);
    try {
      const body = '{"intentType":"journey.sop_to_workflow","sessionId":"s","parameters":';
      const clients = Array.from({ length: 200 }, () =>
        halfSent(port, `POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n${body}`),
      );
      // Headers only, never finished: the headers timeout.
      const headerOnly = Array.from({ length: 10 }, () => halfSent(port, 'GET /v1/executions HTTP/1.1\r\nHost: x\r\n'));
      // A generous guard against a server that never closes them (the configured timeout is 1.5 s).
      const guard = sleep(60_000).then(() => 'still open');
      const results = await Promise.all([...clients, ...headerOnly].map((c) => Promise.race([c.closed, guard])));
      const open = results.filter((r) => r === 'still open').length;
      const answered408 = results.filter((r) => /^HTTP\/1\.1 408 /.test(r)).length;
      process.stderr.write(`# half-sent: ${results.length} sockets, ${open} still open, ${answered408} answered 408\n`);
      assert.equal(open, 0, 'every half-sent request was closed by the server');
      assert.ok(answered408 >= 200, `answered 408 before closing: ${answered408}`);
      // And the server still serves complete requests.
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('a connection limit: sockets past max_connections are closed at accept; the server serves again once they go', async () => {
    const server = await startTestServer({ http: { maxConnections: 5, timeouts: { headersMs: 20_000, requestMs: 20_000 } } });
    const port = Number(new URL(server.url).port);
    try {
      const held = Array.from({ length: 5 }, () => halfSent(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'));
      await sleep(300);
      const extra = halfSent(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const extraResult = await Promise.race([extra.closed, sleep(30_000).then(() => 'still open')]);
      assert.notEqual(extraResult, 'still open', 'the sixth connection is closed');
      assert.doesNotMatch(extraResult, /200 OK/, 'and not served');
      for (const h of held) h.socket.destroy();
      await sleep(300);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('runtime config http.timeouts, http.max_connections, database.* and drain_timeout (env wins over the file); bad values are refused', async () => {
    const file = parseRuntimeConfigYaml('http:\n  timeouts: { headers: 5s, request: 20s, keep_alive: 3s, idle_socket: 0 }\n  max_connections: 64\n', 'rt.yaml');
    assert.deepEqual(file.http?.timeouts, { headersMs: 5000, requestMs: 20_000, keepAliveMs: 3000, idleSocketMs: 0 });
    assert.equal(file.http?.maxConnections, 64);
    assert.throws(() => parseRuntimeConfigYaml('http:\n  timeouts: { header: 5s }\n', 'rt.yaml'), /rt\.yaml:2: .*http\.timeouts\.header: unknown key/);
    assert.throws(() => parseRuntimeConfigYaml('http:\n  max_connections: 0\n', 'rt.yaml'), /http\.max_connections/);
    // The database and drain settings of the same file.
    const db = parseRuntimeConfigYaml('database: { statement_timeout: 10s, connect_timeout: 2s, startup_wait: 0 }\ndrain_timeout: 45s\n', 'rt.yaml');
    assert.deepEqual(db.database, { statementTimeoutMs: 10_000, connectTimeoutMs: 2000, startupWaitMs: 0 });
    assert.equal(db.drainTimeoutMs, 45_000);
    assert.deepEqual(resolveDatabaseTimeouts({}, db, { SYMPHAINY_STATEMENT_TIMEOUT: '3s' }), { statementTimeoutMs: 3000, connectTimeoutMs: 2000, startupWaitMs: 0 });
    assert.deepEqual(resolveDatabaseTimeouts({ connectTimeoutMs: 750 }, undefined, {}), { statementTimeoutMs: 30_000, connectTimeoutMs: 750, startupWaitMs: 30_000 });
    assert.throws(() => resolveDatabaseTimeouts({}, undefined, { SYMPHAINY_DATABASE_WAIT: 'soon' }), /SYMPHAINY_DATABASE_WAIT: /);
    assert.throws(() => parseRuntimeConfigYaml('database: { statement_timeout: -1 }\n', 'rt.yaml'), /rt\.yaml:1: .*database\.statement_timeout/);
    const server = await startTestServer();
    try {
      await assert.rejects(createHttpServer(server.runtime, { timeouts: { headersMs: 10_000, requestMs: 5000 } }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match((err as Error).message, /headersMs \(10000\) must not exceed requestMs \(5000\)/);
        return true;
      });
    } finally {
      await server.close();
    }
  });
});
