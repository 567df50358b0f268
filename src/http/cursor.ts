import { SAFE_ID } from '../intent/intent.ts';
import type { PageKey } from '../db/sql.ts';
import { InvalidRequestError } from '../errors/index.ts';

/**
 * Listing cursors: the last item's sort key, base64url-encoded. Opaque to
 * clients; a cursor only narrows a query already scoped to the caller's
 * tenant, so a forged one can reveal nothing.
 */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const at = new Date(value[0]);
      const year = at.getUTCFullYear();
      // Ids this API hands out are safe ids; anything else (a NUL the store cannot compare) is not a cursor of ours.
      if (year >= 1970 && year <= 9999 && SAFE_ID.test(value[1])) return { at: at.toISOString(), id: value[1] };
    }
  } catch {
    /* answered below */
  }
  throw new InvalidRequestError("query parameter 'cursor' is not a cursor this API returned", [
    { in: 'query', path: 'cursor', message: 'is not a valid cursor' },
  ]);
}

/**
 * One page of a keyset listing: `limit` items (or `defaultLimit`) after the
 * query's cursor, fetched one more than asked to know whether a next page
 * exists, and that page's cursor (null on the last page).
 */
export async function fetchPage<T>(
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
  defaultLimit: number,
  fetch: (limit: number, before: PageKey | undefined) => Promise<readonly T[]>,
  keyOf: (item: T) => PageKey,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const limit = query.limit ?? defaultLimit;
  const rows = await fetch(limit + 1, decodeCursor(query.cursor));
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}
