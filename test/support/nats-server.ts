import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import { SERVICES, tcpReachable } from './services.ts';

export interface NatsTestServer {
  /** `nats://127.0.0.1:<port>`; the same across stop()/start(). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM) and waits for it to exit; JetStream state stays on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store dir (streams and their dedupe state survive). */
  start(): Promise<void>;
  /** Stops it and removes its store dir. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1: the kernel picks one for a throwaway listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A private `nats-server` with JetStream, so a suite can stop and restart it
 * without touching the machine's shared NATS (4222).
 */
export async function startNatsServer(opts: { startTimeoutMs?: number } = {}): Promise<NatsTestServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'symphainy-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  let child: ChildProcess | null = null;
  // A test process that dies must not leave a server behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(SERVICES.natsServerBin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    // nats-server logs to stderr; keep reading (a full pipe would block it) and keep the tail for errors.
    let log = '';
    proc.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    let exited: string | null = null;
    proc.once('exit', (code, signal) => {
      exited = `exited (code ${code}, signal ${signal})`;
      if (child === proc) child = null;
    });
    proc.once('error', (err) => (exited = err.message));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`nats-server ${exited}:\n${log}`);
      try {
        await tcpReachable(url, port, 500);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`nats-server did not accept connections on ${port} within ${startTimeoutMs} ms: ${(err as Error).message}\n${log}`);
        }
        await sleep(50);
      }
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
    child = null;
  };

  await start().catch(async (err) => {
    process.removeListener('exit', killOnExit);
    await rm(storeDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url,
    port,
    start,
    stop,
    async close() {
      await stop();
      process.removeListener('exit', killOnExit);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** Every message of the stream, read with an ordered consumer from the start. */
export async function readStream(nc: NatsConnection, stream: string): Promise<{ subject: string; msgId: string; data: unknown }[]> {
  const js = nc.jetstream();
  const info = await (await nc.jetstreamManager()).streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume();
  const out: { subject: string; msgId: string; data: unknown }[] = [];
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', data: m.json() });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}
