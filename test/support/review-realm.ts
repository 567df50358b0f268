/** A realm for the console's suites (not a test file): `review.publish` drafts a post in a durable step, then waits for an approval. */
import { z } from 'zod';
import { defineRealm } from '../../src/index.ts';

export const review = defineRealm({
  name: 'review',
  intents: {
    publish: {
      params: z.strictObject({ key: z.string() }),
      async handler(p, ctx) {
        const draft = await ctx.step('draft', () => ({ title: `post ${p.key}` }));
        const yes = await ctx.approval('publish', { summary: draft.title });
        return { artifacts: {}, events: [{ type: yes.approved ? 'post.published' : 'post.rejected', data: yes }] };
      },
    },
  },
});
