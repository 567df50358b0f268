import { z } from 'zod';

/** `/healthz` and `/readyz`. */

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({ status: z.literal('ready'), store: z.string() });
