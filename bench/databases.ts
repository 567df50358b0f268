import { connect } from 'node:net';
import pg from 'pg';
import { withDefaultUser } from '../src/db/pg/database-url.ts';

/**
 * Services the bench talks to (the same defaults and variables as the test
 * suites): PostgreSQL and Redis on loopback.
 */
export const BENCH_SERVICES = {
  postgres: process.env.SYMPHAINY_BENCH_DATABASE_URL ?? process.env.SYMPHAINY_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres',
  redis: process.env.SYMPHAINY_BENCH_REDIS_URL ?? process.env.SYMPHAINY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
} as const;

/** Null when something accepts TCP connections at the URL's host and port, else why not. */
export function unreachable(url: string, defaultPort: number, timeoutMs = 1500): Promise<string | null> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || defaultPort);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer from ${host}:${port} within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(null);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve(`${host}:${port}: ${err.message}`);
    });
  });
}

/**
 * The role bench databases belong to and are used through, as in the test
 * suites: neither superuser nor BYPASSRLS, so row-level security applies to
 * the runtime's statements as it would in production.
 */
const APP_ROLE = 'symphainy_test_app';
const APP_PASSWORD = 'symphainy_test_app';

function urlFor(database: string, asApp: boolean): string {
  const url = new URL(BENCH_SERVICES.postgres);
  url.pathname = `/${database}`;
  if (asApp) {
    url.username = APP_ROLE;
    url.password = APP_PASSWORD;
  }
  return asApp ? url.toString() : withDefaultUser(url.toString());
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDefaultUser(BENCH_SERVICES.postgres) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the server, owned by the app role; `drop()` removes it. */
export interface BenchDatabase {
  readonly name: string;
  /** Connects as the app role. */
  readonly url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `symphainy_bench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin(async (admin) => {
    const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${APP_PASSWORD}'`).catch((err: { code?: string }) => {
        if (!['42710', '23505'].includes(err.code ?? '')) throw err;
      });
    }
    await admin.query(`CREATE DATABASE ${name} OWNER ${APP_ROLE}`);
  });
  return {
    name,
    url: urlFor(name, true),
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
