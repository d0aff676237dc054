import { sql, type SQL } from "drizzle-orm";
import type { DomainError, Result } from "@patron/core";
import type { Db, Tx } from "../../db/connect.ts";
import { eachPage, streamFromSnapshot, type BodyWriter } from "../../db/snapshot-stream.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "./find-customer.ts";
import { customerSummary, getBalances, historySelect, transactionView } from "../ledger/read-ledger.ts";

/** Rows fetched from a cursor at a time: what the export holds in memory per list. */
const PAGE = 500;

/**
 * Everything Patron holds about one customer (a data-subject access request): profile, summary,
 * balances, the full ledger, orders with lines, and events, as one JSON object:
 * `{ customer, summary, balances, exportedAt, transactions: [...], orders: [...], events: [...] }`.
 *
 * Streamed from one snapshot (snapshot-stream.ts): the lists are read through cursors, `PAGE` rows at
 * a time, and written as the client takes them, so a customer with a long history costs the server a
 * page of memory, not the whole history (50,000 orders built as one object ran the server out of
 * heap: bench/export.ts), and the balances agree with the ledger beside them.
 *
 * Errors: CUSTOMER_NOT_FOUND.
 */
export function streamCustomerExport(db: Db, program: Program, externalId: string, now: Date, log: { error(o: object): void }, stallMs?: number): Promise<Result<ReadableStream<Uint8Array>, DomainError>> {
  return streamFromSnapshot<DomainError>(db, log, `export of customer ${externalId}`, async (tx, out) => {
    const found = await getCustomer(tx, program.id, externalId);
    if (!found.ok) return found.error;
    const c = found.value;
    out.start();
    const head = { customer: c, summary: await customerSummary(tx, program.id, c.id, program.currency), balances: await getBalances(tx, program.id, c.id, now), exportedAt: now.toISOString() };
    await out.write(JSON.stringify(head).slice(0, -1)); // the object stays open for the lists
    await writeList(tx, out, "transactions", historySelect(program.id, c.id), transactionView);
    await writeList(tx, out, "orders", ordersSelect(program.id, c.id), (o) => ({ ...o, lines: parse(o.lines) }));
    await writeList(tx, out, "events", eventsSelect(program.id, c.id), (e) => ({ ...e, data: parse(e.data) }));
    await out.write("}");
    return undefined;
  }, stallMs);
}

const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

/** Writes `,"name":[...]`, a page at a time. */
async function writeList(tx: Tx, out: BodyWriter, name: string, query: SQL, view: (r: Record<string, unknown>) => unknown): Promise<void> {
  await out.write(`,"${name}":[`);
  let first = true;
  await eachPage(tx, name, query, PAGE, async (rows) => {
    let text = "";
    for (const r of rows) {
      text += (first ? "" : ",") + JSON.stringify(view(r));
      first = false;
    }
    await out.write(text);
  });
  await out.write("]");
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
