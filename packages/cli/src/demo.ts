import { seededRandom } from "@patron/core";

/**
 * The demo program: a café chain with a few hundred customers and a year of orders, sent through
 * the public API (batch events), so what you see is what a store integration would produce.
 * Deterministic: a seeded generator, times relative to `now`.
 */
export interface DemoOptions {
  customers: number;
  months: number;
  seed: number;
  now: Date;
}

const MENU = [
  { sku: "ESP", name: "Espresso", category: "coffee", price: 35_000 },
  { sku: "CSD", name: "Cà phê sữa đá", category: "coffee", price: 39_000 },
  { sku: "LAT", name: "Latte", category: "coffee", price: 55_000 },
  { sku: "CAP", name: "Cappuccino", category: "coffee", price: 55_000 },
  { sku: "CBR", name: "Cold brew", category: "coffee", price: 59_000 },
  { sku: "OJ", name: "Orange juice", category: "juice", price: 45_000 },
  { sku: "CRO", name: "Croissant", category: "bakery", price: 32_000 },
  { sku: "BMI", name: "Bánh mì", category: "food", price: 40_000 },
  { sku: "BAG", name: "Coffee beans 250 g", category: "retail", price: 180_000, weight: 250 },
];
const STORES = ["district-1", "district-3", "thao-dien", "online"];
const FIRST = ["An", "Bình", "Chi", "Dung", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Vy"];
const LAST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"];


export const DEMO_PROGRAM = {
  name: "Saigon Bean Café (demo)",
  pointsSingular: "Bean",
  pointsPlural: "Beans",
  currency: "VND",
  timeZone: "Asia/Ho_Chi_Minh",
  defaultLocale: "vi",
  supportedLocales: ["vi", "en"],
  defaultCountry: "VN",
  earning: { enabled: true, points: 1, per: 1_000, rounding: "floor" as const },
  ledgerPolicy: { pendingDays: 7, expiry: { kind: "end_of_month" as const, months: 12 }, clawback: "allow_negative" as const },
  pointValue: { money: 10, points: 1 },
};

/** The demo's earning rules, on top of the base earning (docs/rules.md), as `POST /v1/rules` bodies. */
export const DEMO_RULES = [
  { name: "Welcome beans", trigger: { event: "customer.signed_up" }, effect: { kind: "fixed", worth: 20_000 }, limits: [{ per: "lifetime", maxAwards: 1 }] },
  { name: "Double beans on the 5th and the 20th", trigger: { event: "order.completed" }, effect: { kind: "multiplier", factor: 2 }, schedule: { daysOfMonth: [5, 20] } },
  {
    name: "Morning coffee",
    trigger: { event: "order.completed" },
    condition: 'hasCategory("coffee") && local.hour < 10',
    effect: { kind: "per_line", points: 10, per: "quantity", categories: ["coffee"] },
    limits: [{ per: "day", maxAwards: 1 }],
  },
  { name: "Birthday beans", trigger: { event: "customer.birthday" }, effect: { kind: "fixed", points: 500 }, limits: [{ per: "year", maxAwards: 1 }] },
];

/** The demo's promotion campaigns (docs/promotions.md), as `POST /v1/campaigns` bodies. */
export const DEMO_CAMPAIGNS = [
  {
    name: "Breakfast combo: any coffee + a croissant for 75,000",
    kind: "automatic",
    stacking: "stackable",
    effects: [{ kind: "bundle", items: [{ filter: { categories: ["coffee"] }, quantity: 1 }, { filter: { skus: ["CRO"] }, quantity: 1 }], price: 75_000 }],
  },
  {
    name: "A free espresso with 500 g of beans",
    kind: "automatic",
    stacking: "stackable",
    condition: "cart.weight >= 500",
    effects: [{ kind: "gift", sku: "ESP", name: "Espresso", quantity: 1 }],
  },
  {
    name: "Members: 10% off with WELCOME10, once each",
    kind: "code",
    code: "WELCOME10",
    stacking: "stackable",
    audience: "isMember()",
    effects: [{ kind: "order_percent", percent: 10, max: 50_000 }],
    limits: { perCustomer: { max: 1, per: "lifetime" } },
  },
];

/** The demo's VIP levels (docs/tiers.md), as the `PUT /v1/tiers` body: by spend in the calendar year. */
export const DEMO_TIERS = {
  basis: "spend",
  window: "calendar_year",
  graceDays: 30,
  downgrade: "one_level",
  levels: [
    { key: "silver", name: "Silver", threshold: 2_000_000, benefits: { earnBonusPercent: 10, entryPoints: 200 } },
    { key: "gold", name: "Gold", threshold: 6_000_000, benefits: { earnBonusPercent: 25, discountPercent: 5, entryPoints: 1_000 } },
  ],
};

/** The demo's events, oldest first: signups, a year of orders, a few refunds. */
export function demoEvents(o: DemoOptions): Record<string, unknown>[] {
  const rnd = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const start = o.now.getTime() - o.months * 30 * 86_400_000;
  const events: { at: number; e: Record<string, unknown> }[] = [];
  for (let c = 1; c <= o.customers; c++) {
    const id = `demo-${String(c).padStart(4, "0")}`;
    const joined = start + rnd() * (o.now.getTime() - start) * 0.8;
    const first = pick(FIRST);
    const last = pick(LAST);
    const year = 1970 + Math.floor(rnd() * 40);
    events.push({
      at: joined,
      e: {
        id: `${id}-signup`,
        type: "customer.signed_up",
        customerId: id,
        occurredAt: new Date(joined).toISOString(),
        data: {
          name: `${last} ${first}`,
          email: `${id}@example.com`,
          phone: `+8490${String(1_000_000 + c).slice(1)}`,
          birthday: `${year}-${String(1 + Math.floor(rnd() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rnd() * 28)).padStart(2, "0")}`,
          locale: rnd() < 0.8 ? "vi" : "en",
          consent: { email: rnd() < 0.7, sms: rnd() < 0.4 },
          tags: rnd() < 0.1 ? ["staff"] : [],
        },
      },
    });
    // Regulars come every few days; occasional visitors every few weeks.
    const everyDays = rnd() < 0.3 ? 2 + rnd() * 5 : 10 + rnd() * 40;
    let t = joined + rnd() * everyDays * 86_400_000;
    let n = 0;
    while (t < o.now.getTime() - 3_600_000) {
      n++;
      const lines = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
        const item = pick(MENU);
        return { sku: item.sku, name: item.name, category: item.category, quantity: 1 + Math.floor(rnd() * 2), unitPrice: item.price, ...(item.weight ? { weight: item.weight } : {}) };
      });
      const orderId = `${id}-o${n}`;
      events.push({ at: t, e: { id: `${orderId}-completed`, type: "order.completed", customerId: id, occurredAt: new Date(t).toISOString(), data: { orderId, currency: "VND", lines, store: pick(STORES) } } });
      if (rnd() < 0.02) {
        events.push({ at: t + 3_600_000, e: { id: `${orderId}-refund`, type: "order.refunded", customerId: id, occurredAt: new Date(t + 3_600_000).toISOString(), data: { orderId, refundId: `${orderId}-r1`, lines: [{ sku: lines[0]!.sku, quantity: 1 }] } } });
      }
      t += everyDays * (0.5 + rnd()) * 86_400_000;
    }
  }
  events.sort((a, b) => a.at - b.at);
  return events.map((x) => x.e);
}
