import type { CoveredExecution } from '../crypto/content-cipher.ts';
import type { Cover } from '../crypto/scope.ts';
import { RecordCipher, sealWalPayload, stepRecordName, walRecordName } from '../store/record-cipher.ts';
import type { ExecutionState } from '../store/state-surface.ts';
import type { StepRow } from '../store/step-journal.ts';
import type { WalRecordInput } from '../store/write-ahead-log.ts';
import type { ExecutionWrite } from './execution-writes.ts';

/**
 * Seals the tenant content of one write before it reaches a transaction:
 * the new execution's parameters, the outcome's semantic payloads, result
 * and error message, step results and details, and the WAL records'
 * content fields — each sealed once, under the execution's cover. Ids,
 * statuses, times and decisions stay clear.
 * @throws Error when the write carries content but neither `insert` nor `covered` says whose it is.
 */
export async function sealWrite(c: RecordCipher, w: ExecutionWrite): Promise<ExecutionWrite> {
  const owner: CoveredExecution | undefined = w.insert?.execution ?? w.covered;
  if (!owner) {
    if (w.finish || (w.steps?.length ?? 0) > 0 || w.wal.length > 0) throw new Error('an execution write with content names no execution to cover it (covered)');
    return w;
  }
  const cover = c.cover(owner);
  const out: { -readonly [K in keyof ExecutionWrite]: ExecutionWrite[K] } = { ...w };
  const jobs: Promise<void>[] = [];
  if (w.insert) {
    const e = w.insert.execution;
    jobs.push(c.seal(e.parameters, cover, `execution:${e.executionId}`, 'parameters').then((parameters) => {
      out.insert = { ...w.insert!, sealed: { parameters, keyIds: RecordCipher.keyIdsOf(parameters) } };
    }));
  }
  if (w.finish) {
    const f = w.finish;
    const record = `execution:${f.executionId}`;
    jobs.push((async () => {
      const [state, result, message] = await Promise.all([
        sealState(c, f.state, cover, record),
        f.result === null || f.result === undefined ? null : c.seal(f.result, cover, record, 'result'),
        f.error ? c.seal(f.error.message, cover, record, 'error.message') : null,
      ]);
      out.finish = { ...f, sealed: { state, result, error: f.error ? { ...f.error, message } : null } };
    })());
  }
  if (w.steps && w.steps.length > 0) jobs.push(Promise.all(w.steps.map((s) => sealStep(c, s, cover))).then((steps) => void (out.steps = steps)));
  if (w.wal.length > 0) jobs.push(sealWal(c, w.wal, cover).then((wal) => void (out.wal = wal)));
  await Promise.all(jobs);
  return out;
}

/** WAL records of one execution (or intent), their content sealed under `cover`. */
export function sealWal(c: RecordCipher, records: readonly WalRecordInput[], cover: Cover): Promise<WalRecordInput[]> {
  return Promise.all(records.map(async (r) => ({ ...r, payload: await sealWalPayload(c, r.payload, cover, walRecordName(r)) })));
}

async function sealState(c: RecordCipher, state: ExecutionState | null, cover: Cover, record: string): Promise<unknown> {
  if (!state) return null;
  const semantic: Record<string, { resultType: string; payload: unknown }> = {};
  await Promise.all(Object.entries(state.semantic).map(async ([key, s]) => {
    semantic[key] = { resultType: s.resultType, payload: s.payload === null ? null : await c.seal(s.payload, cover, record, `state.semantic.${key}`) };
  }));
  return { ...state, semantic };
}

/** A journal row with its result and detail sealed (record `execution:<id>/step:<seq>`). */
async function sealStep(c: RecordCipher, s: StepRow, cover: Cover): Promise<StepRow> {
  const record = stepRecordName(s.executionId, s.seq);
  const [result, detail] = await Promise.all([
    s.result === null || s.result === undefined ? null : c.seal(s.result, cover, record, 'result'),
    s.detail === null ? null : c.seal(s.detail, cover, record, 'detail'),
  ]);
  return { ...s, result, detail: detail as unknown as Record<string, unknown> | null };
}
