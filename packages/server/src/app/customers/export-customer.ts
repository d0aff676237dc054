import { sql, type SQL } from "drizzle-orm";
import { ok, type DomainError, type Result } from "@patron/core";
import type { Db, Tx } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "./find-customer.ts";
import { customerSummary, getBalances, historySelect, transactionView } from "../ledger/read-ledger.ts";

/** Rows fetched from a cursor at a time: what the export holds in memory per list. */
const PAGE = 500;
/**
 * How long the export waits for the client to take a part before it gives up: its transaction holds a
 * connection and a snapshot (and on PGlite, the only connection) for as long as the body is written.
 */
const STALL_MS = 30_000;

/**
 * Everything Patron holds about one customer (a data-subject access request): profile, summary,
 * balances, the full ledger, orders with lines, and events, as one JSON object:
 * `{ customer, summary, balances, exportedAt, transactions: [...], orders: [...], events: [...] }`.
 *
 * It is streamed: the lists are read through cursors, `PAGE` rows at a time, and written as the
 * client takes them, so a customer with a long history costs the server a page of memory, not the
 * whole history (50,000 orders built as one object ran the server out of heap: bench/export.ts).
 * Every part comes from one snapshot (a read-only REPEATABLE READ transaction), so the balances agree
 * with the ledger beside them. A failure after the first byte cuts the body short (the status is
 * sent by then): a client sees JSON that does not parse, never a complete-looking partial export.
 *
 * Resolves once the customer is found (or not: CUSTOMER_NOT_FOUND) with the body to send; the
 * transaction stays open until the body is written or the client goes away.
 */
export function streamCustomerExport(db: Db, program: Program, externalId: string, now: Date, log: { error(o: object): void }, stallMs = STALL_MS): Promise<Result<ReadableStream<Uint8Array>, DomainError>> {
  return new Promise((resolve, reject) => {
    let started = false;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    // At the client's pace: nothing more is read while it has not taken the last part, up to stallMs.
    const write = async (text: string) => {
      await within(writer.ready, stallMs);
      await within(writer.write(encoder.encode(text)), stallMs);
    };
    db.transaction(
      async (tx) => {
        const found = await getCustomer(tx, program.id, externalId);
        if (!found.ok) return resolve(found);
        const c = found.value;
        started = true;
        resolve(ok(readable));
        const head = { customer: c, summary: await customerSummary(tx, program.id, c.id, program.currency), balances: await getBalances(tx, program.id, c.id, now), exportedAt: now.toISOString() };
        const json = JSON.stringify(head);
        await write(json.slice(0, -1)); // the object stays open for the lists
        await writeList(tx, write, "transactions", historySelect(program.id, c.id), transactionView);
        await writeList(tx, write, "orders", ordersSelect(program.id, c.id), (o) => ({ ...o, lines: parse(o.lines) }));
        await writeList(tx, write, "events", eventsSelect(program.id, c.id), (e) => ({ ...e, data: parse(e.data) }));
        await write("}");
        await writer.close();
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    ).catch((e: unknown) => {
      if (!started) return reject(e);
      // The client went away, or the database failed mid-way: the body ends here, unfinished.
      log.error({ msg: "customer export stopped", customer: externalId, error: e instanceof Error ? e.message : String(e) });
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

const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

/** Writes `,"name":[...]` from a cursor over `query`, a page at a time. */
async function writeList(tx: Tx, write: (text: string) => Promise<void>, name: string, query: SQL, view: (r: Record<string, unknown>) => unknown): Promise<void> {
  const cursor = sql.raw(`export_${name}`);
  await tx.execute(sql`declare ${cursor} no scroll cursor for ${query}`);
  await write(`,"${name}":[`);
  let first = true;
  for (;;) {
    const page = (await tx.execute(sql`fetch ${sql.raw(String(PAGE))} from ${cursor}`)) as unknown as { rows: Record<string, unknown>[] };
    if (page.rows.length === 0) break;
    let text = "";
    for (const r of page.rows) {
      text += (first ? "" : ",") + JSON.stringify(view(r));
      first = false;
    }
    await write(text);
  }
  await tx.execute(sql`close ${cursor}`);
  await write("]");
}

function ordersSelect(programId: string, customerId: string): SQL {
  return sql`select o.external_id as "orderId", o.currency, o.subtotal, o.discount, o.shipping, o.tax, o.total, o.refunded_amount as "refundedAmount",
               o.points_earned as "pointsEarned", o.channel, o.store, o.placed_at as "placedAt",
               (select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'category', l.category, 'quantity', l.quantity, 'unitPrice', l.unit_price,
                        'discount', l.discount, 'refundedQuantity', l.refunded_quantity) order by l.line_no) from order_lines l where l.order_id = o.id) as lines
          from orders o where o.program_id = ${programId} and o.customer_id = ${customerId} order by o.placed_at, o.id`;
}

function eventsSelect(programId: string, customerId: string): SQL {
  return sql`select external_id as id, type, name, data, occurred_at as "occurredAt", recorded_at as "recordedAt"
          from events where program_id = ${programId} and customer_id = ${customerId} order by id`;
}
