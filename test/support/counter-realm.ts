import { defineRealm } from '../../src/index.ts';

/**
 * A realm that counts its handler runs, for idempotency tests: `counter.bump`
 * returns one artifact and one event per run (after `slowMs`, when given),
 * `counter.fail` always throws. `runs.calls` is the count so far.
 */
export function counterRealm() {
  const runs = { calls: 0 };
  const realm = defineRealm({
    name: 'counter',
    intents: {
      bump: {
        handler: async (params: unknown) => {
          runs.calls++;
          const slowMs = (params as { slowMs?: number }).slowMs ?? 0;
          if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
          return {
            artifacts: { workflow: { resultType: 'workflow', semanticPayload: { call: runs.calls }, renderings: { md: `call ${runs.calls}` } } },
            events: [{ type: 'bumped', data: { call: runs.calls } }],
          };
        },
      },
      fail: {
        handler: () => {
          runs.calls++;
          throw new Error('always fails');
        },
      },
    },
  });
  return { realm, runs };
}
