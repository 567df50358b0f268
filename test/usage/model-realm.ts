import { defineRealm, type ExecutionContext, type ModelUsage } from '../../src/index.ts';

/**
 * A realm standing in for model calls: `model.call` records each of
 * `params.calls` with `ctx.recordUsage` (and emits `params.chunks`), then
 * returns one `sop` artifact. With `swallow`, it catches the budget error
 * and tries to complete anyway. `runs.after` counts calls recorded without
 * an error.
 */
export function modelRealm() {
  const runs = { after: 0 };
  const realm = defineRealm({
    name: 'model',
    intents: {
      call: {
        handler: async (params: unknown, ctx: ExecutionContext) => {
          const p = params as { calls?: ModelUsage[]; chunks?: unknown[]; swallow?: boolean };
          for (const chunk of p.chunks ?? []) await ctx.emit(chunk as string);
          for (const usage of p.calls ?? []) {
            try {
              await ctx.recordUsage(usage);
              runs.after++;
            } catch (err) {
              if (!p.swallow) throw err;
            }
          }
          return { artifacts: { answer: { resultType: 'sop', renderings: { markdown: 'done' } } } };
        },
      },
    },
  });
  return { realm, runs };
}
