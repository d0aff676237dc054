import { sql } from "drizzle-orm";
import { ok, type DomainError, type Result } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";
import { getCustomer } from "./find-customer.ts";
import type { CustomerView } from "./customer.ts";
import { customerSummary, getBalances, listTransactions, type BalancesView, type CustomerSummary, type TransactionView } from "../ledger/read-ledger.ts";

export interface CustomerExport {
  customer: CustomerView;
  summary: CustomerSummary;
  balances: BalancesView;
  transactions: TransactionView[];
  orders: unknown[];
  events: unknown[];
  exportedAt: string;
}

/**
 * Everything Patron holds about one customer (a data-subject access request): profile, balances,
 * the full ledger, orders with lines, and events.
 *
 * Errors: CUSTOMER_NOT_FOUND.
 */
export async function exportCustomer(ex: Executor, program: Program, externalId: string, now: Date): Promise<Result<CustomerExport, DomainError>> {
  const found = await getCustomer(ex, program.id, externalId);
  if (!found.ok) return found;
  const c = found.value;
  const transactions: TransactionView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTransactions(ex, program.id, c.id, { limit: 500, cursor });
    if (!page.ok) return page;
    transactions.push(...page.value.data);
    cursor = page.value.nextCursor ?? undefined;
  } while (cursor);
  const orders = await rows<Record<string, unknown>>(
    ex,
    sql`select o.external_id as "orderId", o.currency, o.subtotal, o.discount, o.shipping, o.tax, o.total, o.refunded_amount as "refundedAmount",
               o.points_earned as "pointsEarned", o.channel, o.store, o.placed_at as "placedAt",
               (select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'category', l.category, 'quantity', l.quantity, 'unitPrice', l.unit_price,
                        'discount', l.discount, 'refundedQuantity', l.refunded_quantity) order by l.line_no) from order_lines l where l.order_id = o.id) as lines
          from orders o where o.program_id = ${program.id} and o.customer_id = ${c.id} order by o.placed_at`,
  );
  const events = await rows<Record<string, unknown>>(
    ex,
    sql`select external_id as id, type, name, data, occurred_at as "occurredAt", recorded_at as "recordedAt"
          from events where program_id = ${program.id} and customer_id = ${c.id} order by id`,
  );
  return ok({
    customer: c,
    summary: await customerSummary(ex, program.id, c.id, program.currency),
    balances: await getBalances(ex, program.id, c.id, now),
    transactions,
    orders: orders.map((o) => ({ ...o, lines: typeof o.lines === "string" ? JSON.parse(o.lines) : o.lines })),
    events: events.map((e) => ({ ...e, data: typeof e.data === "string" ? JSON.parse(e.data) : e.data })),
    exportedAt: now.toISOString(),
  });
}
