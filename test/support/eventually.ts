/**
 * Reads until at least `count` rows come back or 10 s pass, then returns
 * the last read. For reads that may lag a commit by design, such as the
 * outbox's committed-order listing (on a server it waits until every older
 * transaction of the cluster has ended).
 */
export async function eventually<T>(read: () => Promise<T[]>, count: number): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await read();
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}
