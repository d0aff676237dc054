// A/B: the baseline copy of core (/work/ab/core-base) against the working tree, alternating slices in one process.
import * as B from "../packages/core/src/index.ts";
// @ts-ignore
import * as A from "../packages/core/.ab/core-base/index.ts";
import { benchCart as cart, campaignDefinition as definition } from "./campaign-set.ts";
import { compileCampaign, ProgramCampaigns } from "../packages/server/src/app/promotions/campaign-store.ts";
const n = Number(process.argv[2] ?? 20);
const compiled = Array.from({ length: n }, (_, i) => compileCampaign(`cmp_${String(i).padStart(4, "0")}`, 1, definition(i)));
const program = new ProgramCampaigns(1, compiled);
const codes = ["CODE9", "NOPE1234"].map((t) => ({ typed: t, code: B.normalizePromoCode(t), campaign: program.byCode.get(B.normalizePromoCode(t) ?? "") ?? null }));
const customer: any = { id: "cus_1", email: "a@example.com", phone: "", name: "A", birthday: "1990-05-01", status: "active", tier: "", tags: ["vip"], attributes: {}, metrics: { lifetimeOrders: 4, lifetimeSpend: 1_000_000, daysSinceFirstOrder: 200, daysSinceLastOrder: 12, ordersThisMonth: 1, spendThisMonth: 200_000 } };
const now = new Date("2026-11-23T10:00:00Z");
const usage = new Map();
const mk = () => ({ cart, customer, now, timeZone: "Asia/Ho_Chi_Minh", guard: { maxDiscountPercent: 40 }, automatic: program.automaticFor(cart), codes, usage, earn: (o: any) => Math.floor(o.earningBase / 1000) });
const ra = A.evaluateCart(mk() as any), rb = B.evaluateCart(mk() as any);
if (JSON.stringify(ra) !== JSON.stringify(rb)) { console.log("DIFFERENT RESULTS"); process.exit(1); }
let sink = 0;
const slice = (f: any) => { const t = performance.now(); for (let i = 0; i < 3000; i++) sink += f(mk()).discount; return performance.now() - t; };
for (let i = 0; i < 100; i++) { slice(A.evaluateCart); slice(B.evaluateCart); }
let ta = 0, tb = 0;
for (let i = 0; i < 300; i++) { if (i % 2) { ta += slice(A.evaluateCart); tb += slice(B.evaluateCart); } else { tb += slice(B.evaluateCart); ta += slice(A.evaluateCart); } }
const per = (t: number) => (t / (300 * 3000)) * 1e3;
console.log(`n=${n} A ${per(ta).toFixed(3)} µs  B ${per(tb).toFixed(3)} µs  B/A ${(tb / ta).toFixed(3)}`, sink > 0 ? "" : "");
