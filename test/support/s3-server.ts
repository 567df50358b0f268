import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The keys of s3rver's built-in account (it accepts any SigV4 signature made
 * with them). Not frozen: the AWS SDK writes a `$source` field into the
 * credentials object it is given.
 */
export const S3RVER_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

/** A request the server received, as sent (headers lower-cased). */
export interface S3ServerRequest {
  readonly method: string;
  /** Path and query, e.g. `/bucket/key?uploads`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface S3Server {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true` and {@link S3RVER_CREDENTIALS}. */
  readonly endpoint: string;
  /** Every request received so far, oldest first: for asserting what a client sent (multipart, headers). */
  readonly requests: readonly S3ServerRequest[];
  createBucket(name: string): Promise<void>;
  /** Stops the server, dropping open connections, and removes its directory. */
  close(): Promise<void>;
}

// The subset of s3rver 3.7 used here (it ships no types).
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
  store: { putBucket(name: string): Promise<unknown> };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/**
 * An in-process s3rver on 127.0.0.1 with a random port and its own temporary
 * directory. s3rver skips SigV4 verification, so any client signing with its
 * keys is accepted. It ignores checksum headers but does not decode the
 * `aws-chunked` bodies newer SDKs stream by default: it stores the chunk
 * framing as the object (S3BlobStore turns those checksums off).
 */
export async function startS3Server(): Promise<S3Server> {
  const S3rver = require('s3rver') as S3rverClass;
  const directory = await mkdtemp(join(tmpdir(), 'symphainy-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    // Otherwise a request to any host name but an IP or `localhost` is taken as `<bucket>` virtual-host style.
    vhostBuckets: false,
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const requests: S3ServerRequest[] = [];
  server.httpServer!.on('request', (req) => requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } }));
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    // Straight into its store: no client or signing needed to set up a test.
    createBucket: async (name) => void (await server.store.putBucket(name)),
    close() {
      closing ??= (async () => {
        const stopped = server.close();
        // Keep-alive sockets from SDK clients would otherwise hold close() open.
        server.httpServer?.closeAllConnections();
        await stopped;
        await rm(directory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
