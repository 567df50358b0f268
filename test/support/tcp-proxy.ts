import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real service, for network faults
 * without touching the shared service: `cut()` destroys every open
 * connection (a failover, a pooler restart), `blackhole()` keeps them open
 * but stops forwarding and leaves new ones unanswered (a dropped route: no
 * FIN, no RST, only silence), `muteReplies()` forwards requests but drops
 * the answers (the service acts; its reply is lost on the way back),
 * `restore()` forwards again.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Destroys every open connection (both sides); new ones are accepted as usual. */
  cut(): void;
  /** Stops forwarding in both directions; new connections are accepted and then never answered. */
  blackhole(): void;
  /** Keeps forwarding what clients send, drops what the service answers: its work is done, the reply never arrives. */
  muteReplies(): void;
  /** Ends a blackhole: held connections are destroyed (their streams are out of step), new ones forwarded. */
  restore(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at `port` (default: any free one) and forwards to `target`. */
export async function startTcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket | null]>();
  let holes = false;
  let muted = false;
  const held = new Set<Socket>();

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (holes) {
      // Accepted and never answered: what a client sees behind a dropped route after the SYN.
      held.add(client);
      client.pause();
      client.once('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target);
    upstream.on('error', () => {});
    const pair: [Socket, Socket | null] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket, isReply: boolean) =>
      from.on('data', (chunk) => {
        if (!holes && !(isReply && muted)) to.write(chunk);
      });
    forward(client, upstream, false);
    forward(upstream, client, true);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.once('close', end);
    upstream.once('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;

  const destroyAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b?.destroy();
    }
    pairs.clear();
    for (const s of held) s.destroy();
    held.clear();
  };

  return {
    port: bound,
    get connections() {
      return pairs.size + held.size;
    },
    cut: destroyAll,
    blackhole() {
      holes = true;
    },
    muteReplies() {
      muted = true;
    },
    restore() {
      if (holes || muted) destroyAll();
      holes = false;
      muted = false;
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
