import type { Db, Tx } from "./connect.ts";

/** SQLSTATEs that mean "the same work may succeed if run again": a lost race, not a bug. */
const RETRYABLE = new Set(["40001", "40P01", "23505"]);

/** The SQLSTATE of a database error, looked for through a few levels of `cause` (drivers and drizzle wrap it). */
export function sqlState(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code.length === 5) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Runs `fn` in a transaction, again (up to 5 times) when it lost a race: a deadlock, a serialization
 * failure, or a unique key another transaction inserted first (two new orders with the same id in
 * flight at once). The retry re-reads, sees the winner's row and decides from there.
 */
export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (e) {
      const state = sqlState(e);
      if (attempt >= 5 || state === undefined || !RETRYABLE.has(state)) throw e;
    }
  }
}
