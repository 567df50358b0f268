import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import type { GovernanceRule } from '../policy/governance.ts';
import type { SolutionConfig } from '../policy/solution-config.ts';
import type { Realm } from '../realm/define-realm.ts';
import type { Db } from '../store/db.ts';
import type { Faults } from './fault-points.ts';

/** Options of {@link createRuntime}. Every field has a default; `createRuntime()` alone gives the embedded runtime. */
export interface RuntimeOptions {
  /**
   * Directory of the embedded database (`db/`) and the artifact blobs
   * (`blobs/`). Locked while the runtime is open.
   * @default './.symphainy' (or $SYMPHAINY_DATA_DIR)
   */
  dataDir?: string;
  /** Keep everything in memory and in a temporary blob folder removed on close (tests, one-off runs). @default false */
  memory?: boolean;
  /** Realms to register. The example realms are not registered unless listed (see `exampleRealms`). @default [] */
  realms?: readonly Realm[];
  /** The solution configuration: a loaded config or the path of a YAML file. @default none (platform default policy) */
  solutionConfig?: SolutionConfig | string;
  /** Governance rules, above any solution configuration. @default [] */
  governance?: readonly GovernanceRule[];
  /** Milliseconds a realm handler may run unless its intent sets `timeoutMs`. @default 30000 */
  realmTimeoutMs?: number;
  /** A pino logger. @default JSON on stderr at level $SYMPHAINY_LOG_LEVEL or `warn` */
  logger?: Logger;
  /** Use this database instead of opening the embedded one (it is migrated, not closed by the runtime). */
  db?: Db;
  /** Artifact blob store. @default files under `<dataDir>/blobs` */
  blobStore?: BlobStore;
  /** Cache tier for `cache` decisions. @default the embedded TTL table */
  cache?: CacheStore;
  /** Clock, for tests of expiry. @default () => new Date() */
  now?: () => Date;
  /** Seconds between purges of expired cache entries while open. @default 60 */
  cachePurgeIntervalSeconds?: number;
  /** Milliseconds to wait for a data dir another process holds. @default 15000 */
  lockWaitMs?: number;
  /** Test hooks at named points of the write path; see FaultPoint. */
  faults?: Faults;
}
