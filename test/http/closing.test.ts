/**
 * A request that reaches the server while it closes is refused with a
 * problem document from the error table (503 SYM_ERR_SHUTTING_DOWN), like
 * every other error, not fastify's own plain JSON; the request in flight when
 * close() began is still answered in full.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';

let server: TestServer;
let key: string;

before(async () => {
  server = await startTestServer();
  key = await server.tenant('closing-a');
});
after(async () => {
  await server?.close();
});

/** Resolves once the socket has received `text` (or ended). */
function received(socket: Socket, chunks: Buffer[], text: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const all = Buffer.concat(chunks).toString('utf8');
      if (text.test(all)) done(all);
    };
    const done = (all: string) => {
      socket.off('data', check);
      socket.off('close', onClose);
      resolve(all);
    };
    const onClose = () => done(Buffer.concat(chunks).toString('utf8'));
    socket.on('data', check);
    socket.on('close', onClose);
    check();
  });
}

test('a request pipelined behind one in flight when close() began is answered 503 SYM_ERR_SHUTTING_DOWN as a problem document', async () => {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const body = JSON.stringify({ intentType: 'journey.sop_to_workflow', sessionId: 'closing-1', parameters: { sop_text: '1. Receive\n2. Ship' } });
  // The first request's headers and half its body: it is routed, and holds the connection open (not idle) while close() starts.
  socket.write(
    `POST /v1/intents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 10),
  );
  await sleep(200);
  const closing = server.app.close();
  await sleep(50);
  socket.write(`${body.slice(10)}GET /v1/executions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
  const all = await received(socket, chunks, /HTTP\/1\.1 503[\s\S]*\r\n\r\n\{[\s\S]*\}$/);
  socket.destroy();
  await closing;

  const answers = all.split(/(?=HTTP\/1\.1 \d{3} )/);
  assert.equal(answers.length, 2, all);
  assert.match(answers[0]!, /^HTTP\/1\.1 200 /, 'the request in flight is answered in full');
  const [head, text] = answers[1]!.split('\r\n\r\n') as [string, string];
  assert.match(head, /^HTTP\/1\.1 503 /);
  assert.match(head, /content-type: application\/problem\+json/i);
  assert.match(head, /connection: close/i);
  const problem = JSON.parse(text) as { status: number; code: string; title: string; type: string };
  assert.deepEqual(
    [problem.status, problem.code, problem.title, problem.type],
    [503, 'SYM_ERR_SHUTTING_DOWN', PROBLEM_TYPES.SYM_ERR_SHUTTING_DOWN.title, 'urn:symphainy:error:SYM_ERR_SHUTTING_DOWN'],
  );
});
