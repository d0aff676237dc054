/**
 * Cart-evaluation benchmark: carts/s of `evaluateCart` in process, no database, no HTTP. A 5-line cart
 * is priced against N active campaigns (a realistic mix: automatic campaigns with line, bundle,
 * buy-X-get-Y, order and points effects, about half with CEL audience or cart conditions, a few
 * exclusive or grouped) plus two typed codes. The campaigns go through the same per-cart index as the
 * server (`ProgramCampaigns.automaticFor`: by sku, category and audience), so the figure is what a
 * request pays for the evaluation.
 * Past 20 campaigns the program grows two ways (bench/campaign-set.ts): `dense` repeats the first
 * 20's mix, a third of it site-wide; `targeted` adds campaigns on skus, categories, segments and codes.
 *
 *   npm run bench:carts                         # 20, then 200 of each mix; warm-up 2 s, 5 rounds of 1 s
 *   npm run bench:carts -- --campaigns 50       # one size, both mixes
 *   npm run bench:carts -- --mix dense          # one mix
 *
 * Goals (issue 5): ≥ 200,000 carts/s with 20 campaigns; with 200, at most 3× the cost of 20.
 */
import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { evaluateCart, normalizePromoCode, type CelCustomer, type TypedCode } from "../packages/core/src/index.ts";
import { benchCart as cart, campaignDefinition as definition, type CampaignMix } from "./campaign-set.ts";
import { compileCampaign, ProgramCampaigns } from "../packages/server/src/app/promotions/campaign-index.ts";

const { values: args } = parseArgs({
  options: {
    campaigns: { type: "string" },
    mix: { type: "string" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "1" },
    warmup: { type: "string", default: "2" },
  },
});
const rounds = Math.max(5, Number(args.rounds));
const seconds = Math.max(1, Number(args.seconds));
const warmup = Math.max(0, Number(args.warmup));
const mixes: CampaignMix[] = args.mix === "dense" || args.mix === "targeted" ? [args.mix] : ["dense", "targeted"];
// Up to 20 campaigns both mixes are the same program: it is measured once.
const sizes = (args.campaigns ? [Number(args.campaigns)] : [20, 200]).flatMap((n) => (n <= 20 ? [{ n, mix: mixes[0]! }] : mixes.map((mix) => ({ n, mix }))));

const customer: CelCustomer = {
  id: "cus_1", email: "a@example.com", phone: "", name: "A", birthday: "1990-05-01", status: "active", tier: "", tags: ["vip"], attributes: {},
  metrics: { lifetimeOrders: 4, lifetimeSpend: 1_000_000, daysSinceFirstOrder: 200, daysSinceLastOrder: 12, ordersThisMonth: 1, spendThisMonth: 200_000 },
};

function run(n: number, mix: CampaignMix): number[] {
  const compiled = Array.from({ length: n }, (_, i) => compileCampaign(`cmp_${String(i).padStart(4, "0")}`, 1, definition(i, mix)));
  const program = new ProgramCampaigns(1, compiled);
  const codes: TypedCode[] = ["CODE9", "NOPE1234"].map((t) => ({ typed: t, code: normalizePromoCode(t), campaign: program.byCode.get(normalizePromoCode(t) ?? "") ?? null }));
  const now = new Date("2026-11-23T10:00:00Z");
  const usage = new Map();
  const sample = evaluateCart({ cart, customer, now, timeZone: "Asia/Ho_Chi_Minh", guard: { maxDiscountPercent: 40 }, automatic: program.automaticFor(cart, customer), codes, usage, earn: (o) => Math.floor(o.earningBase / 1000) });
  console.log(`${name(n, mix)}: ${program.automaticFor(cart, customer).length} automatic candidates for the cart, ${sample.applied.length} applied, ${sample.refused.length} codes refused, discount ${sample.discount} of ${sample.subtotal}`);
  let sink = 0;
  const once = () => {
    const r = evaluateCart({ cart, customer, now, timeZone: "Asia/Ho_Chi_Minh", guard: { maxDiscountPercent: 40 }, automatic: program.automaticFor(cart, customer), codes, usage, earn: (o) => Math.floor(o.earningBase / 1000) });
    sink += r.discount;
  };
  const until = (ms: number) => {
    let count = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let k = 0; k < 100; k++) once();
      count += 100;
    }
    return count;
  };
  until(warmup * 1000);
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) rates.push(until(seconds * 1000) / seconds);
  if (sink < 0) console.log(sink);
  return rates;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`node ${process.version}, ${cpus()[0]?.model ?? "cpu"}; 5 lines, ${rounds} rounds of ${seconds} s`);
const name = (n: number, mix: CampaignMix) => `${String(n).padStart(4)} campaigns${n > 20 ? `, ${mix}` : ""}`;
const results = new Map<string, number>();
for (const { n, mix } of sizes) {
  const rates = run(n, mix);
  results.set(n > 20 ? `${n} ${mix}` : String(n), median(rates));
  console.log(`${name(n, mix)}: median ${Math.round(median(rates)).toLocaleString("en")} carts/s (rounds: ${rates.map((r) => Math.round(r).toLocaleString("en")).join(", ")}); ${(1e6 / median(rates)).toFixed(1)} µs per cart`);
}
const base = results.get("20");
if (base !== undefined) {
  console.log(`goal: ≥ 200,000 carts/s with 20 campaigns: ${Math.round(base).toLocaleString("en")} (${((base / 200_000) * 100).toFixed(0)}% of the goal)`);
  for (const mix of mixes) {
    const big = results.get(`200 ${mix}`);
    if (big !== undefined) console.log(`cost of 200 campaigns (${mix}) vs 20: ${(base / big).toFixed(2)}× (goal ≤ 3×)`);
  }
}
