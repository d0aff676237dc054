import { sql } from "drizzle-orm";
import { rows, type Db, type Tx } from "../db/connect.ts";
import { inTransaction } from "../db/tx.ts";

export interface StoredResponse {
  status: number;
  /** The serialized JSON body, exactly as sent the first time. */
  body: string;
  replayed: boolean;
}

export interface IdempotencyRequest {
  programId: string;
  /** What the key is for: `POST /v1/customers/x/adjustments`, so one key can't replay another endpoint. */
  scope: string;
  key: string;
  hash: string;
}

const conflict = (key: string): StoredResponse => ({
  status: 409,
  body: JSON.stringify({
    code: "IDEMPOTENCY_CONFLICT",
    message: `The idempotency key "${key}" was already used with a different request body. Use a new key for a new request.`,
    details: { key },
  }),
  replayed: false,
});

/**
 * Runs a mutating request once per key (Stripe semantics). The key row is inserted first, in the
 * same transaction as the effect, so a concurrent duplicate waits on the row lock and then replays
 * the committed response; a crash before commit leaves neither the effect nor the key.
 * Same key and same body: the stored response, flagged as a replay. Same key, different body:
 * IDEMPOTENCY_CONFLICT and no effect. Without a key the request simply runs in a transaction.
 * `redact` shapes what is stored (a created API key's secret is never stored).
 */
export async function runIdempotent(
  db: Db,
  req: IdempotencyRequest | null,
  fn: (tx: Tx) => Promise<{ status: number; body: unknown }>,
  redact: (body: unknown) => unknown = (b) => b,
): Promise<StoredResponse> {
  return inTransaction(db, async (tx) => {
    if (req) {
      const inserted = await rows<{ key: string }>(
        tx,
        sql`insert into idempotency_keys (program_id, scope, key, request_hash, created_at)
            values (${req.programId}, ${req.scope}, ${req.key}, ${req.hash}, now())
            on conflict do nothing returning key`,
      );
      if (inserted.length === 0) {
        const [row] = await rows<{ request_hash: string; status: number; response: string }>(
          tx,
          sql`select request_hash, status, response from idempotency_keys
               where program_id = ${req.programId} and scope = ${req.scope} and key = ${req.key}`,
        );
        if (!row || row.request_hash !== req.hash) return conflict(req.key);
        return { status: row.status, body: row.response, replayed: true };
      }
    }
    const res = await fn(tx);
    const body = JSON.stringify(res.body);
    if (req) {
      const stored = JSON.stringify(redact(JSON.parse(body)));
      await tx.execute(
        sql`update idempotency_keys set status = ${res.status}, response = ${stored}
             where program_id = ${req.programId} and scope = ${req.scope} and key = ${req.key}`,
      );
    }
    return { status: res.status, body, replayed: false };
  });
}
