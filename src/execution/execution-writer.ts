import { GroupCommit, transactionPerWrite, type TenantWriter } from '../db/group-commit.ts';
import type { Queryable } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import type { RecordCipher } from '../store/record-cipher.ts';
import { sealWrite } from './seal-write.ts';
import { ExecutionWrites, type ExecutionWrite, type WriteOutcome } from './execution-writes.ts';
import type { ExecutionLifecycleDeps } from './lifecycle-types.ts';

/**
 * The one write path of execution records. Every record, completion and
 * failure of an execution is an {@link ExecutionWrite} handed to `write`:
 * with group commit on, concurrent executions share transactions
 * ({@link GroupCommit}); off, each gets its own. `one` writes inside a
 * transaction the caller already holds (a claim's). Nothing else writes an
 * execution's outcome.
 */
export class ExecutionWriter {
  readonly #writes: ExecutionWrites;
  readonly #writer: TenantWriter<ExecutionWrite, WriteOutcome>;
  readonly #outbox: ExecutionLifecycleDeps['outbox'];
  readonly #cipher: RecordCipher | undefined;

  constructor(d: Pick<ExecutionLifecycleDeps, 'db' | 'stateSurface' | 'artifactIndex' | 'artifactContents' | 'cache' | 'wal' | 'outbox' | 'groupCommit' | 'stepJournal' | 'cipher'>) {
    this.#outbox = d.outbox;
    this.#cipher = d.cipher;
    this.#writes = new ExecutionWrites(d);
    this.#writer = d.groupCommit ? new GroupCommit(d.db, this.#writes, d.groupCommit) : transactionPerWrite(d.db, this.#writes);
  }

  /** Commits `write` for `tenant`: `written`, or why none of it was (`taken`, `not-running`). Throws when the store fails. */
  async write(tenant: TenantScope, write: ExecutionWrite): Promise<WriteOutcome> {
    // Sealed here, before the write joins a (group) commit: a group commit never waits on a key.
    const outbox = write.outbox.length > 0 ? await this.#outbox.seal(write.outbox, write.insert?.execution ?? write.covered) : write.outbox;
    const sealed = { ...write, outbox };
    return this.#writer.write(tenant, this.#cipher ? await sealWrite(this.#cipher, sealed) : sealed);
  }

  /** Writes `write` in the caller's transaction `tx` (committed, or rolled back, with it). */
  async one(tx: Queryable, write: ExecutionWrite): Promise<WriteOutcome> {
    return this.#writes.one(tx, this.#cipher ? await sealWrite(this.#cipher, write) : write);
  }
}
