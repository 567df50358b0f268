/** Environment variable of the drain timeout (a duration such as `45s`). */
export const DRAIN_TIMEOUT_ENV = 'SYMPHAINY_DRAIN_TIMEOUT';

/** Resolves with `'done'` when `work` settles, or `'timeout'` after `ms`. */
export async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work.then(() => 'done' as const, () => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
