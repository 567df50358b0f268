import { z } from 'zod';
import { defineRealm } from '../realm/define-realm.ts';

/**
 * The "draft → approval → publish" example: a (mock) model drafts a post in
 * a durable step, a person approves or rejects it (the execution waits,
 * holding no worker), and an approved post is published as a `sop`
 * artifact. The model is a deterministic function of the brief — no network
 * — so the example runs anywhere and its output can be checked.
 */

export const draftPostParams = z.strictObject({
  brief: z.string().min(1).max(2000),
  /** How long the approval may wait (the one duration parser). */
  approval_timeout: z.string().max(20).default('2d'),
});

/** A deterministic stand-in for a language model: the same brief always gives the same draft. */
export function mockModel(brief: string): { title: string; text: string } {
  const words = brief.trim().split(/\s+/);
  const title = words.slice(0, 6).join(' ').replace(/^./, (c) => c.toUpperCase());
  return { title, text: `# ${title}\n\n${words.map((w, i) => (i % 12 === 11 ? `${w}.\n` : w)).join(' ')}\n` };
}

export const publishing = defineRealm({
  name: 'publishing',
  description: 'Draft a post with a (mock) model, wait for a person to approve it, publish it',
  intents: {
    draft_post: {
      description: 'Draft (a durable step), approval (waits), then publish the approved post',
      params: draftPostParams,
      async handler(params, ctx) {
        const draft = await ctx.step('draft', () => mockModel(params.brief));
        const ok = await ctx.approval('publish', { summary: draft.title, timeout: params.approval_timeout });
        if (!ok.approved) {
          return { artifacts: {}, events: [{ type: 'post.rejected', data: { title: draft.title, by: ok.by, reason: ok.reason } }] };
        }
        return {
          artifacts: { post: { resultType: 'sop', semanticPayload: { title: draft.title, approvedBy: ok.by }, renderings: { markdown: draft.text } } },
          events: [{ type: 'post.published', data: { title: draft.title, by: ok.by } }],
        };
      },
    },
  },
});
