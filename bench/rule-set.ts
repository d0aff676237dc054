/**
 * Twenty earning rules of the kinds merchants run, as `POST /v1/rules` bodies, for measuring ingest
 * with rules (`npm run bench -- --rules 20`). They listen to order.completed, as the benchmark's
 * events are orders: a mix of conditions on the order and on the customer's history (which makes
 * ingest load the customer's metrics), per-line effects, a schedule, and per-customer limits (which
 * make it lock counters).
 */
export function benchRules(n: number): Record<string, unknown>[] {
  const order = { trigger: { event: "order.completed" } };
  const all: Record<string, unknown>[] = [
    { name: "Coffee lines", ...order, effect: { kind: "per_line", points: 2, per: "quantity", categories: ["coffee"] } },
    { name: "Tea lines", ...order, effect: { kind: "per_line", points: 1, per: "line", categories: ["tea"] } },
    { name: "Big basket", ...order, condition: "order.total >= 5000", effect: { kind: "fixed", points: 25 } },
    { name: "Three or more items", ...order, condition: "order.itemCount >= 3", effect: { kind: "fixed", points: 5 } },
    { name: "Web orders", ...order, condition: 'order.channel == "web" && order.total >= 1000', effect: { kind: "fixed", points: 3 } },
    { name: "Loyal customers", ...order, condition: "customer.metrics.lifetimeOrders >= 5", effect: { kind: "fixed", points: 10 } },
    { name: "Back after a month", ...order, condition: "customer.metrics.daysSinceLastOrder > 30", effect: { kind: "fixed", points: 50 } },
    { name: "Sku 7 fans", ...order, condition: 'hasSku("sku-7")', effect: { kind: "per_line", points: 10, per: "quantity", skus: ["sku-7"] } },
    { name: "Weekend bonus", ...order, schedule: { daysOfWeek: [6, 7] }, effect: { kind: "fixed", points: 4 } },
    { name: "Lunch hours", ...order, schedule: { hours: [{ from: "11:00", to: "14:00" }] }, effect: { kind: "fixed", points: 2 } },
    { name: "Double days", ...order, schedule: { daysOfMonth: [5, 20] }, effect: { kind: "multiplier", factor: 2 } },
    { name: "Daily check-in", ...order, effect: { kind: "fixed", points: 1 }, limits: [{ per: "day", maxAwards: 1 }] },
    { name: "Monthly cap bonus", ...order, effect: { kind: "per_amount", points: 1, per: 500 }, limits: [{ per: "month", maxPoints: 200 }] },
    { name: "Pastry", ...order, condition: 'hasCategory("pastry")', effect: { kind: "fixed", points: 6 } },
    { name: "Heavy spender", ...order, condition: "customer.metrics.lifetimeSpend > 100000", effect: { kind: "fixed", points: 8 } },
    { name: "Tagged VIP", ...order, condition: 'hasTag("vip")', effect: { kind: "multiplier", factor: 1.5 } },
    { name: "Store one", ...order, condition: 'order.store == "bench-1"', effect: { kind: "fixed", points: 1 } },
    { name: "Quantity of sku 3", ...order, condition: 'quantityOf("sku-3") >= 2', effect: { kind: "fixed", points: 12 } },
    { name: "Small orders", ...order, condition: "order.total < 800", effect: { kind: "fixed", points: 1 } },
    { name: "Launch budget", ...order, effect: { kind: "fixed", points: 2 }, budget: { points: 1_000_000_000 } },
  ];
  return all.slice(0, n);
}
