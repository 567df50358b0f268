import { access } from 'node:fs/promises';
import { connect } from 'node:net';

/**
 * Services the suites talk to, each overridable by environment. Outside CI a
 * suite whose service is unreachable is skipped with a visible message; with
 * CI=true it fails, so a CI run never passes by skipping.
 */
export const SERVICES = {
  postgres: process.env.SYMPHAINY_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres',
  redis: process.env.SYMPHAINY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.SYMPHAINY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  /** The NATS server binary, for suites that start (and stop) their own server. */
  natsServerBin: process.env.SYMPHAINY_TEST_NATS_SERVER ?? '/usr/sbin/nats-server',
} as const;

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Resolves when something accepts TCP connections at the URL's host and port. */
export function tcpReachable(url: string, defaultPort: number, timeoutMs = 1500): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || defaultPort);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * `false` when the service answers; otherwise, outside CI, the skip reason
 * (printed now, so the skip is visible), and in CI an error.
 */
export async function skipUnlessReachable(name: string, probe: () => Promise<unknown>): Promise<string | false> {
  try {
    await probe();
    return false;
  } catch (err) {
    const reason = `${name} unreachable: ${(err as Error).message}`;
    if (IN_CI) throw new Error(`${reason} (CI=true: a service suite must not be skipped; .ci/run starts the services)`);
    process.stderr.write(`\n# SKIPPING ${name} suite: ${reason}\n`);
    return reason;
  }
}

export const skipUnlessPostgres = () => skipUnlessReachable('PostgreSQL', () => tcpReachable(SERVICES.postgres, 5432));
export const skipUnlessRedis = () => skipUnlessReachable('Redis', () => tcpReachable(SERVICES.redis, 6379));
export const skipUnlessNatsServerBinary = () =>
  skipUnlessReachable('nats-server binary', () => access(SERVICES.natsServerBin));
