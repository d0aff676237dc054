import { sql, type SQL } from "drizzle-orm";
import { ok, type Result } from "@patron/core";
import type { Db, Tx } from "./connect.ts";

/**
 * How long a streamed body waits for the client to take a part before it gives up: its transaction
 * holds a connection and a snapshot (and on PGlite, the only connection) while the body is written.
 */
const STALL_MS = 30_000;

export interface BodyWriter {
  /** The body begins: from here on the answer is 200 and this body. Call once, before `write`. */
  start(): void;
  /** Appends text, at the client's pace (nothing more is read while the last part waits, up to the stall limit). */
  write(text: string): Promise<void>;
}

/**
 * A response body written from one read-only REPEATABLE READ transaction (a single snapshot, so every
 * part agrees with the others), as the client reads it: an export of any size costs the server a page
 * of rows, not the whole of it. `fill` may refuse before it calls `out.start()` by returning an error,
 * which becomes the result; after that the promise resolves with the body, and `fill` goes on writing.
 * A failure after the first byte (the database, or a client that takes nothing for `stallMs`) cuts the
 * body short and ends the transaction: what the client got does not parse, and nothing is held.
 */
export function streamFromSnapshot<E>(db: Db, log: { error(o: object): void }, what: string, fill: (tx: Tx, out: BodyWriter) => Promise<E | undefined>, stallMs = STALL_MS): Promise<Result<ReadableStream<Uint8Array>, E>> {
  return new Promise((resolve, reject) => {
    let started = false;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const out: BodyWriter = {
      start() {
        started = true;
        resolve(ok(readable));
      },
      async write(text) {
        await within(writer.ready, stallMs);
        await within(writer.write(encoder.encode(text)), stallMs);
      },
    };
    db.transaction(
      async (tx) => {
        const refused = await fill(tx, out);
        if (!started) return resolve({ ok: false, error: refused as E });
        await writer.close();
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    ).catch((e: unknown) => {
      if (!started) return reject(e);
      log.error({ msg: `${what} stopped`, error: e instanceof Error ? e.message : String(e) });
      writer.abort(e).catch(() => {});
    });
  });
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the client took nothing for ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Runs `query` through a cursor and hands its rows to `each` a page at a time (`size` rows). */
export async function eachPage(tx: Tx, name: string, query: SQL, size: number, each: (rows: Record<string, unknown>[]) => Promise<void>): Promise<void> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`eachPage: "${name}" is not a cursor name`);
  const cursor = sql.raw(`page_${name}`);
  await tx.execute(sql`declare ${cursor} no scroll cursor for ${query}`);
  for (;;) {
    const page = (await tx.execute(sql`fetch ${sql.raw(String(size))} from ${cursor}`)) as unknown as { rows: Record<string, unknown>[] };
    if (page.rows.length === 0) break;
    await each(page.rows);
  }
  await tx.execute(sql`close ${cursor}`);
}
