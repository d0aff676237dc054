import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/**
 * Model-based test of rewards and the ledger around them, through the HTTP API only: random
 * sequences of earn (orders, some carrying codes), redeem, use, cancel, partial and full refunds,
 * adjustments and expiry (clock moves + settlement), each checked step by step against a model
 * written here from the documentation (docs/rewards.md, docs/ledger.md), with no engine code.
 *
 * The model keeps each customer's available balance and lots (amount, remaining, expiry): debits
 * take lots soonest-expiring first (then oldest, then first created), a refund clawback takes the
 * order's own lot first, a credit to a negative balance pays the debt first, a cancellation refills
 * the very lots the redemption spent (last posting first), a full refund returns the points of the
 * rewards used on the order as a new lot with the program's expiry, and lots expire at their date.
 * It keeps each redemption's status (issued / used / expired / cancelled) and each reward's issued count.
 *
 * Every run is a fresh program (VND, Asia/Ho_Chi_Minh, 1 point per 1,000 ₫, no pending period,
 * expiry 20 days, clawback `allow_negative` or `cap`) in one database shared by all runs. After every
 * command the API's answer (success or the typed error, effects) and the customer's balance must
 * equal the model's; after every run: balances, expiring lots, redemptions and stock from the API,
 * then ledger invariants straight from the database (see `checkLedger`).
 *
 * 50 runs with a fixed seed by default; PATRON_MODEL_RUNS and PATRON_MODEL_SEED run more or other
 * sequences (a failure prints the shrunk command sequence, which names each command's arguments).
 */

const NUM_RUNS = Number(process.env.PATRON_MODEL_RUNS ?? 50);
const SEED = Number(process.env.PATRON_MODEL_SEED ?? 20260601);
const DAY = 86_400_000;
const EXPIRY_DAYS = 20;
const START = "2026-03-10T03:00:00Z";
const CUSTOMERS = ["an", "binh"] as const;
const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ";

type Clawback = "allow_negative" | "cap";
type RewardKey = "off" | "ship" | "gift";
const REWARD_KEYS: readonly RewardKey[] = ["off", "ship", "gift"];

/** The catalogue of every run. */
const CATALOGUE: Record<RewardKey, { body: Record<string, unknown>; cost: number; validDays: number | null; stock: number | null; hasCode: boolean }> = {
  off: { body: { name: "20,000 ₫ off", kind: "fixed_discount", config: { amount: 20_000 }, cost: 100, validDays: 7 }, cost: 100, validDays: 7, stock: null, hasCode: true },
  ship: { body: { name: "Free shipping", kind: "free_shipping", cost: 60, stock: 2 }, cost: 60, validDays: null, stock: 2, hasCode: true },
  gift: { body: { name: "Tote bag", kind: "physical_gift", cost: 150 }, cost: 150, validDays: null, stock: null, hasCode: false },
};

// ---------------------------------------------------------------------------------------------
// The model

interface MLot {
  /** Creation order: ties on expiry and creation time go to the lot created first (ids are monotonic ULIDs). */
  seq: number;
  amount: number;
  remaining: number;
  expiresAt: number;
  createdAt: number;
  /** What expiry took from it: a refund of the order that earned it does not take that part back. */
  expired: number;
}

interface MCustomer {
  ext: string;
  /** May be negative (a clawback under allow_negative); then no lot holds value. */
  available: number;
  lots: MLot[];
}

interface MRedemption {
  id: string;
  customer: number;
  reward: RewardKey;
  points: number;
  code: string | null;
  expiresAt: number | null;
  createdAt: number;
  /** Stored status; `expired` is derived (issued and past its date). */
  status: "issued" | "used" | "cancelled";
  /** The lots the debit took, in posting order. */
  spent: { lot: MLot; amount: number }[];
  /** Points given back (by cancellation or by a full refund of the order it was used on). */
  returned: boolean;
  usedOrder: string | null;
}

interface MOrder {
  ext: string;
  customer: number;
  total: number;
  base: number;
  earned: number;
  lot: MLot | null;
  refundedAmount: number;
  refundedBase: number;
  clawed: number;
}

interface Model {
  clawback: Clawback;
  now: number;
  seq: number;
  /** Counter for event, order and refund ids. */
  n: number;
  /** Commands run (those whose precondition held). */
  steps: number;
  /** The last mutating request and its answer, for Retry; null after a command that moved time. */
  last: Sent | null;
  customers: MCustomer[];
  issued: Record<RewardKey, number>;
  redemptions: MRedemption[];
  orders: MOrder[];
}

interface Real {
  api: TestApi;
  rewardIds: Record<RewardKey, string>;
}

/** How often each interesting situation came up over all runs: the test checks they all did. */
const tally: Record<string, number> = {};
const seen = (what: string) => {
  tally[what] = (tally[what] ?? 0) + 1;
};

const iso = (t: number) => new Date(t).toISOString();
const normalize = (code: string) => code.toUpperCase().replace(/[\s-]/g, "");
const shownStatus = (m: Model, r: MRedemption) => (r.status === "issued" && r.expiresAt !== null && r.expiresAt <= m.now ? "expired" : r.status);
const isLive = (m: Model, r: MRedemption) => shownStatus(m, r) === "issued";

/** Lots whose date has come expire (the server writes this on its next settlement; reads apply it at once). */
function settle(m: Model, c: MCustomer) {
  for (const l of c.lots) {
    if (l.remaining > 0 && l.expiresAt <= m.now) {
      seen("lot expired");
      c.available -= l.remaining;
      l.expired += l.remaining;
      l.remaining = 0;
    }
  }
}

function credit(m: Model, c: MCustomer, amount: number, expiresAt: number, createdAt = m.now): MLot | null {
  if (amount <= 0) return null;
  const debt = Math.max(0, -c.available);
  if (debt > 0) seen("credit paid a debt");
  const lot: MLot = { seq: m.seq++, amount, remaining: amount - Math.min(debt, amount), expiresAt, createdAt, expired: 0 };
  c.lots.push(lot);
  c.available += amount;
  return lot;
}

const spendOrder = (a: MLot, b: MLot) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt || a.seq - b.seq;

/** What a debit would take: the preferred lot first, then lots soonest-expiring first. Nothing is changed. */
function planDebit(c: MCustomer, amount: number, prefer: MLot | null): { taken: { lot: MLot; amount: number }[]; left: number } {
  let left = amount;
  const taken: { lot: MLot; amount: number }[] = [];
  const take = (lot: MLot) => {
    if (left === 0 || lot.remaining === 0) return;
    const n = Math.min(left, lot.remaining);
    left -= n;
    taken.push({ lot, amount: n });
  };
  if (prefer) take(prefer);
  for (const lot of c.lots.filter((l) => l.remaining > 0 && l !== prefer).sort(spendOrder)) take(lot);
  return { taken, left };
}

function applyDebit(c: MCustomer, taken: { lot: MLot; amount: number }[], lotless: number) {
  for (const t of taken) {
    t.lot.remaining -= t.amount;
    c.available -= t.amount;
  }
  c.available -= lotless;
}

const heldByLots = (c: MCustomer) => c.lots.reduce((n, l) => n + l.remaining, 0);

function freshModel(clawback: Clawback): Model {
  return {
    clawback,
    now: new Date(START).getTime(),
    seq: 0,
    n: 0,
    steps: 0,
    last: null,
    customers: CUSTOMERS.map((ext) => ({ ext, available: 0, lots: [] })),
    issued: { off: 0, ship: 0, gift: 0 },
    redemptions: [],
    orders: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the commands

async function expectBalance(m: Model, r: Real, i: number, label: string) {
  const c = m.customers[i]!;
  settle(m, c);
  // The model's own invariant: lots hold the balance when it is not negative, nothing when it is.
  expect(heldByLots(c), `${label}: model lots of ${c.ext}`).toBe(Math.max(0, c.available));
  const b = await r.api.call("GET", `/v1/customers/${c.ext}/balances`);
  expect(b.status, label).toBe(200);
  expect({ available: b.body.available, pending: b.body.pending }, `${label}: balance of ${c.ext}`).toEqual({ available: c.available, pending: 0 });
}

interface Sent {
  what: string;
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  status: number;
  answer: unknown;
}

/** Sends a mutating request and remembers it, so a Retry can send it again. */
async function send(m: Model, r: Real, what: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await r.api.call(method, path, body, headers);
  m.last = { what, method, path, body, headers, status: res.status, answer: res.body };
  return res;
}

function expectError(res: { status: number; body: any }, status: number, code: string, label: string) {
  expect({ status: res.status, code: res.body?.code }, `${label}: ${JSON.stringify(res.body)}`).toEqual({ status, code });
}

/** How a code is typed at the till: as shown, lower case without dashes, or with spaces. */
type CodeStyle = "shown" | "lower" | "spaced";
function typeCode(code: string, style: CodeStyle): string {
  if (style === "lower") return code.toLowerCase().replace(/-/g, "");
  if (style === "spaced") return code.replace(/-/g, " ");
  return code;
}

/**
 * An order.completed for customer `i` with one line at `price`, `shipping`, and these typed codes,
 * which happened `at` (now, or earlier: codes are judged at the order's time). The model decides which
 * codes are used; a fixed_discount code it expects to be used takes 20,000 ₫ off. Each code is first
 * checked at the till with POST /v1/codes/validate, which must agree (judged now, for this customer).
 */
async function placeOrder(m: Model, r: Real, i: number, price: number, shipping: number, typed: string[], at: number, label: string) {
  const c = m.customers[i]!;
  settle(m, c);
  const k = ++m.n;
  const orderId = `o${k}`;
  const lines = [{ sku: "TEA", quantity: 1, unitPrice: price }];
  for (const t of typed) {
    const red = m.redemptions.find((x) => x.code !== null && normalize(x.code) === normalize(t));
    const v = await r.api.call("POST", "/v1/codes/validate", { code: t, customerId: c.ext, cart: { lines, shipping } });
    expect(v.status, `${label}: validate ${t}`).toBe(200);
    if (red && red.customer === i && isLive(m, red)) {
      expect(v.body, `${label}: validate ${t}`).toMatchObject({ valid: true, redemptionId: red.id, customerId: c.ext, currency: "VND", discount: red.reward === "off" ? Math.min(20_000, price) : shipping });
    } else {
      expect(v.body, `${label}: validate ${t}`).toEqual({ valid: false, reason: "CODE_NOT_VALID", message: "This code is not valid." });
    }
  }
  // Which codes the model expects to be used, in order (a code twice in one order is used once).
  const outcomes: ({ code: string; status: "used"; redemptionId: string } | { code: string; status: "not_valid" })[] = [];
  const usedNow = new Set<string>();
  for (const t of typed) {
    const red = m.redemptions.find((x) => x.code !== null && normalize(x.code) === normalize(t));
    const liveAt = red !== undefined && red.status === "issued" && (red.expiresAt === null || red.expiresAt > at);
    if (red && red.customer === i && liveAt && !usedNow.has(red.id)) {
      usedNow.add(red.id);
      seen(`code used (${red.reward})`);
      if (!isLive(m, red)) seen("code used: expired now, not at the order's time");
      outcomes.push({ code: t, status: "used", redemptionId: red.id });
    } else {
      seen(`code not_valid: ${!red ? "never issued" : red.customer !== i ? "another customer's" : usedNow.has(red.id) ? "twice in the order" : shownStatus(m, red)}`);
      outcomes.push({ code: t, status: "not_valid" });
    }
  }
  const firstUsed = outcomes.find((o) => o.status === "used");
  const discountRed = firstUsed && "redemptionId" in firstUsed ? m.redemptions.find((x) => x.id === firstUsed.redemptionId) : undefined;
  const discount = discountRed?.reward === "off" ? Math.min(20_000, price) : 0;
  const data: Record<string, unknown> = { orderId, currency: "VND", lines };
  if (discount > 0) data.discount = discount;
  if (shipping > 0) data.shipping = shipping;
  if (typed.length > 0) data.codes = typed;
  const event: Record<string, unknown> = { id: `e${k}`, type: "order.completed", customerId: c.ext, data };
  if (at !== m.now) event.occurredAt = iso(at);

  const res = await send(m, r, label, "POST", "/v1/events", event);
  expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(200);

  const base = price - discount;
  const earned = Math.floor(base / 1_000);
  // The lot dates from the order: an order old enough earns points that have already expired.
  const lot = credit(m, c, earned, at + EXPIRY_DAYS * DAY, at);
  if (lot && lot.expiresAt <= m.now) seen("earned points already expired");
  m.orders.push({ ext: orderId, customer: i, total: base + shipping, base, earned, lot, refundedAmount: 0, refundedBase: 0, clawed: 0 });
  for (const o of outcomes) {
    if (o.status !== "used") continue;
    const red = m.redemptions.find((x) => x.id === o.redemptionId)!;
    red.status = "used";
    red.usedOrder = orderId;
  }
  expect(res.body.effects.pointsEarned, `${label}: pointsEarned`).toBe(earned);
  if (typed.length > 0) expect(res.body.effects.codes, `${label}: codes`).toEqual(outcomes);
  else expect(res.body.effects.codes, `${label}: codes`).toBeUndefined();
  await expectBalance(m, r, i, label);
}

// ---------------------------------------------------------------------------------------------
// Commands

type Cmd = fc.AsyncCommand<Model, Real>;

/** An order, with no code, one of the customer's issued codes (maybe expired), or a code that was never issued. */
class Earn implements Cmd {
  constructor(
    readonly customer: number,
    readonly price: number,
    readonly shipping: number,
    readonly code: { kind: "none" } | { kind: "own"; pick: number; style: CodeStyle } | { kind: "bogus"; code: string },
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.steps++;
    let typed: string[] = [];
    if (this.code.kind === "bogus") typed = [this.code.code];
    if (this.code.kind === "own") {
      const own = m.redemptions.filter((x) => x.customer === this.customer && x.code !== null && x.status === "issued");
      const red = own.length > 0 ? own[this.code.pick % own.length] : undefined;
      if (red) typed = [typeCode(red.code!, this.code.style)];
    }
    await placeOrder(m, r, this.customer, this.price, this.shipping, typed, m.now, this.toString());
  }
  toString() {
    const code = this.code.kind === "none" ? "" : this.code.kind === "bogus" ? `, code ${this.code.code}` : `, own issued code #${this.code.pick} (${this.code.style})`;
    return `Earn(${CUSTOMERS[this.customer]}, ${this.price} ₫ + shipping ${this.shipping}${code})`;
  }
}

/**
 * An order carrying an issued code (maybe expired by now), or (`anyCode`) any code the model has
 * seen: used, cancelled too; by its customer or the other one; maybe twice. It may have happened up to a few days ago (but not before the code was
 * issued), so a code expired now may still have been valid then.
 */
class Use implements Cmd {
  constructor(
    readonly pick: number,
    readonly anyCode: boolean,
    readonly otherCustomer: boolean,
    readonly twice: boolean,
    readonly price: number,
    readonly shipping: number,
    readonly daysAgo: number,
    readonly style: CodeStyle,
  ) {}
  check = (m: Readonly<Model>) => m.redemptions.some((x) => x.code !== null);
  async run(m: Model, r: Real) {
    m.steps++;
    const coded = m.redemptions.filter((x) => x.code !== null);
    const issued = coded.filter((x) => x.status === "issued");
    const pool = this.anyCode || issued.length === 0 ? coded : issued;
    const red = pool[this.pick % pool.length]!;
    const customer = this.otherCustomer ? 1 - red.customer : red.customer;
    const typed = typeCode(red.code!, this.style);
    // Not before the code was issued: an order dated before its code existed gets "not_valid", which
    // rewards.db.test.ts checks directly; the model keeps back-dated orders after the issue time.
    const at = Math.max(m.now - this.daysAgo * DAY, red.createdAt);
    const label = `${this.toString()} [${red.reward} of ${CUSTOMERS[red.customer]}, ${shownStatus(m, red)}]`;
    await placeOrder(m, r, customer, this.price, this.shipping, this.twice ? [typed, red.code!] : [typed], at, label);
  }
  toString() {
    const when = this.daysAgo > 0 ? `, ${this.daysAgo} days ago` : "";
    return `Use(${this.anyCode ? "any" : "issued"} code #${this.pick}${this.otherCustomer ? ", by the other customer" : ""}${this.twice ? ", twice" : ""}, ${this.price} ₫ + shipping ${this.shipping}${when}, ${this.style})`;
  }
}

class Redeem implements Cmd {
  constructor(
    readonly customer: number,
    readonly reward: RewardKey,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.steps++;
    const label = this.toString();
    const c = m.customers[this.customer]!;
    const def = CATALOGUE[this.reward];
    settle(m, c);
    const res = await send(m, r, label, "POST", `/v1/customers/${c.ext}/redemptions`, { rewardId: r.rewardIds[this.reward] }, { "idempotency-key": `redeem-${++m.n}` });
    if (def.stock !== null && m.issued[this.reward] >= def.stock) {
      seen("redeem: out of stock");
      expectError(res, 409, "REWARD_OUT_OF_STOCK", label);
    } else {
      const debit = planDebit(c, def.cost, null);
      if (debit.left > 0) {
        seen("redeem: insufficient points");
        expectError(res, 422, "INSUFFICIENT_POINTS", label);
        expect(res.body.details, label).toEqual({ available: Math.max(0, c.available), required: def.cost });
      } else {
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(201);
        const expiresAt = def.validDays === null ? null : m.now + def.validDays * DAY;
        expect(res.body, label).toMatchObject({
          status: "issued", points: def.cost, rewardId: r.rewardIds[this.reward], customerId: c.ext, expiresAt: expiresAt === null ? null : iso(expiresAt),
          fulfilment: def.hasCode ? null : "pending", returnTransactionId: null,
        });
        if (def.hasCode) expect(res.body.code, label).toMatch(/^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/);
        else expect(res.body.code, label).toBeNull();
        seen(`redeem: ${this.reward}${debit.taken.length > 1 ? " (several lots)" : ""}`);
        applyDebit(c, debit.taken, 0);
        m.issued[this.reward]++;
        m.redemptions.push({ id: res.body.id, customer: this.customer, reward: this.reward, points: def.cost, code: res.body.code, expiresAt, createdAt: m.now, status: "issued", spent: debit.taken, returned: false, usedOrder: null });
      }
    }
    await expectBalance(m, r, this.customer, label);
  }
  toString() {
    return `Redeem(${CUSTOMERS[this.customer]}, ${this.reward})`;
  }
}

class Cancel implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.redemptions.length > 0;
  async run(m: Model, r: Real) {
    m.steps++;
    const red = m.redemptions[this.pick % m.redemptions.length]!;
    const label = `${this.toString()} [${red.reward} of ${CUSTOMERS[red.customer]}, ${shownStatus(m, red)}]`;
    const c = m.customers[red.customer]!;
    settle(m, c);
    const res = await send(m, r, label, "POST", `/v1/redemptions/${red.id}/cancel`, { reason: "model" }, { "idempotency-key": `cancel-${++m.n}` });
    if (!isLive(m, red)) {
      seen(`cancel refused: ${shownStatus(m, red)}`);
      expectError(res, 409, "REDEMPTION_NOT_CANCELLABLE", label);
    } else {
      expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body, label).toMatchObject({ id: red.id, status: "cancelled", returnTransactionId: expect.any(String), fulfilment: red.code === null ? "cancelled" : null });
      // The reversal puts the points back into the very lots, last posting first; a negative balance is paid first.
      for (const s of [...red.spent].reverse()) {
        const repay = Math.min(Math.max(0, -c.available), s.amount);
        if (repay > 0) seen("cancel: refill paid a debt");
        if (s.lot.expiresAt <= m.now) seen("cancel: refilled an expired lot");
        s.lot.remaining += s.amount - repay;
        c.available += s.amount;
      }
      seen(`cancel: ${red.reward}`);
      red.status = "cancelled";
      red.returned = true;
      m.issued[red.reward] = Math.max(0, m.issued[red.reward] - 1);
    }
    await expectBalance(m, r, red.customer, label);
  }
  toString() {
    return `Cancel(redemption #${this.pick})`;
  }
}

/** A redemption id that does not exist. */
class CancelUnknown implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    m.steps++;
    expectError(await send(m, r, this.toString(), "POST", "/v1/redemptions/red_01NOTAREDEMPTION0000000000/cancel", { reason: "model" }), 404, "REDEMPTION_NOT_FOUND", this.toString());
  }
  toString() {
    return "CancelUnknown()";
  }
}

/** `full`: no amount (the rest of the order); `rest`: the rest as an amount; `part`: a share of the total, possibly too much. */
class Refund implements Cmd {
  constructor(
    readonly pick: number,
    readonly mode: "full" | "rest" | "part",
    readonly percent: number,
    /** Pick among the orders a reward was used on, when there are any. */
    readonly coded: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.orders.length > 0;
  async run(m: Model, r: Real) {
    m.steps++;
    const coded = this.coded ? m.orders.filter((o) => m.redemptions.some((x) => x.usedOrder === o.ext)) : [];
    const pool = coded.length > 0 ? coded : m.orders;
    const o = pool[this.pick % pool.length]!;
    const c = m.customers[o.customer]!;
    const label = `${this.toString()} [${o.ext} of ${c.ext}: total ${o.total}, base ${o.base}, earned ${o.earned}, refunded ${o.refundedAmount}]`;
    settle(m, c);
    const k = ++m.n;
    const amount = this.mode === "full" ? o.total - o.refundedAmount : this.mode === "rest" ? o.total - o.refundedAmount : Math.floor((o.total * this.percent) / 100);
    const data: Record<string, unknown> = { orderId: o.ext, refundId: `r${k}` };
    if (this.mode !== "full") data.amount = amount;
    const res = await send(m, r, label, "POST", "/v1/events", { id: `e${k}`, type: "order.refunded", customerId: c.ext, data });
    if (o.refundedAmount + amount > o.total) {
      seen("refund: exceeds the order");
      expectError(res, 422, "REFUND_EXCEEDS_ORDER", label);
    } else {
      expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(200);
      const full = o.refundedAmount + amount === o.total;
      let base = this.mode === "full" ? o.base - o.refundedBase : o.total > 0 ? Math.floor((amount * o.base) / o.total) : 0;
      base = full ? o.base - o.refundedBase : Math.min(base, o.base - o.refundedBase);
      // What expired of the order's points is not taken back; the proportion applies to the rest.
      const earned = Math.max(0, o.earned - (o.lot?.expired ?? 0));
      if (o.lot && o.lot.expired > 0) seen("refund: the order's points had expired");
      const target = o.base > 0 ? Math.floor((earned * Math.min(o.base, o.refundedBase + base)) / o.base) : earned;
      const claw = Math.max(0, Math.min(earned, target) - o.clawed);
      const debit = planDebit(c, claw, o.lot);
      const lotless = m.clawback === "allow_negative" ? debit.left : 0;
      const shortfall = m.clawback === "cap" ? debit.left : 0;
      if (lotless > 0) seen("refund: balance goes negative");
      if (shortfall > 0) seen("refund: shortfall (cap)");
      if (claw > 0 && o.lot && debit.taken[0]?.lot === o.lot && debit.taken.length > 1) seen("refund: order's lot first, then others");
      applyDebit(c, debit.taken, lotless);
      o.refundedAmount += amount;
      o.refundedBase += base;
      o.clawed += claw;
      let returned = 0;
      if (full) {
        for (const red of m.redemptions) {
          if (red.usedOrder !== o.ext || red.status !== "used" || red.returned) continue;
          credit(m, c, red.points, m.now + EXPIRY_DAYS * DAY);
          seen("refund: reward points returned");
          red.returned = true;
          returned += red.points;
        }
      }
      const effects = res.body.effects;
      expect({ refundAmount: effects.refundAmount, pointsClawedBack: effects.pointsClawedBack, shortfall: effects.shortfall, pointsReturned: effects.pointsReturned }, label).toEqual({
        refundAmount: amount,
        pointsClawedBack: claw - shortfall,
        shortfall: shortfall > 0 ? shortfall : undefined,
        pointsReturned: returned > 0 ? returned : undefined,
      });
    }
    await expectBalance(m, r, o.customer, label);
  }
  toString() {
    return `Refund(${this.coded ? "coded " : ""}order #${this.pick}, ${this.mode}${this.mode === "part" ? ` ${this.percent}%` : ""})`;
  }
}

class Adjust implements Cmd {
  constructor(
    readonly customer: number,
    readonly amount: number,
    readonly expiryDays: number | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.steps++;
    const label = this.toString();
    const c = m.customers[this.customer]!;
    settle(m, c);
    const body: Record<string, unknown> = { amount: this.amount, reason: "model" };
    if (this.expiryDays !== null && this.amount > 0) body.expiry = { kind: "days", days: this.expiryDays };
    const res = await send(m, r, label, "POST", `/v1/customers/${c.ext}/adjustments`, body, { "idempotency-key": `adjust-${++m.n}` });
    if (this.amount > 0) {
      expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(201);
      credit(m, c, this.amount, m.now + (this.expiryDays ?? EXPIRY_DAYS) * DAY);
    } else {
      const debit = planDebit(c, -this.amount, null);
      if (debit.left > 0) {
        seen("adjust: insufficient points");
        expectError(res, 422, "INSUFFICIENT_POINTS", label);
      } else {
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(201);
        applyDebit(c, debit.taken, 0);
      }
    }
    await expectBalance(m, r, this.customer, label);
  }
  toString() {
    return `Adjust(${CUSTOMERS[this.customer]}, ${this.amount}${this.expiryDays !== null && this.amount > 0 ? `, expiring in ${this.expiryDays} days` : ""})`;
  }
}

class Advance implements Cmd {
  constructor(readonly days: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.steps++;
    m.last = null;
    m.now += this.days * DAY;
    r.api.clock.advanceDays(this.days);
    const res = await r.api.call("POST", "/v1/ledger/settle");
    expect(res.status, `${this.toString()}: ${JSON.stringify(res.body)}`).toBe(200);
    for (let i = 0; i < m.customers.length; i++) await expectBalance(m, r, i, this.toString());
  }
  toString() {
    return `Advance(${this.days} days, settle)`;
  }
}

/**
 * The last request sent again, as a client whose connection dropped would: the same event id, or
 * the same Idempotency-Key and body. Nothing changes; the answer is the first one (replayed), or, for
 * a refused event (not remembered) or a request without a key, the same refusal again.
 */
class Retry implements Cmd {
  check = (m: Readonly<Model>) => m.last !== null;
  async run(m: Model, r: Real) {
    m.steps++;
    const last = m.last!;
    const label = `${this.toString()} of ${last.what}`;
    const res = await r.api.call(last.method, last.path, last.body, last.headers);
    expect({ status: res.status, body: res.body }, label).toEqual({ status: last.status, body: last.answer });
    if (res.status < 300) {
      seen("retry: replayed");
      expect(res.headers.get("idempotent-replayed"), label).toBe("true");
    } else seen("retry: refused again");
    for (let i = 0; i < m.customers.length; i++) await expectBalance(m, r, i, label);
  }
  toString() {
    return "Retry()";
  }
}

const customerArb = fc.integer({ min: 0, max: CUSTOMERS.length - 1 });
const priceArb = fc.oneof(fc.integer({ min: 0, max: 400 }).map((k) => k * 1_000), fc.integer({ min: 0, max: 400_000 }));
const styleArb = fc.constantFrom<CodeStyle>("shown", "lower", "spaced");
const bogusArb = fc.oneof(
  fc.array(fc.constantFrom(...CODE_ALPHABET), { minLength: 12, maxLength: 12 }).map((cs) => cs.join("").replace(/(.{4})(?=.)/g, "$1-")),
  fc.constantFrom("NOPE-NOPE-NOPE", "x", "SUMMER2026"),
);

const rarely = fc.integer({ min: 0, max: 3 }).map((n) => n === 0);
const command: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        customerArb,
        priceArb,
        fc.constantFrom(0, 0, 15_000),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant({ kind: "none" as const }) },
          { weight: 2, arbitrary: fc.record({ kind: fc.constant("own" as const), pick: fc.nat(10), style: styleArb }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("bogus" as const), code: bogusArb }) },
        ),
      )
      .map(([c, p, s, code]) => new Earn(c, p, s, code)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(20), fc.boolean(), rarely, rarely, priceArb, fc.constantFrom(0, 15_000), fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }) }), styleArb)
      .map(([pick, any, other, twice, price, shipping, daysAgo, style]) => new Use(pick, any, other, twice, price, shipping, daysAgo, style)),
  },
  { weight: 5, arbitrary: fc.tuple(customerArb, fc.constantFrom(...REWARD_KEYS)).map(([c, k]) => new Redeem(c, k)) },
  { weight: 3, arbitrary: fc.nat(20).map((p) => new Cancel(p)) },
  { weight: 1, arbitrary: fc.constant(null).map(() => new CancelUnknown()) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.nat(20), fc.constantFrom("full" as const, "rest" as const, "part" as const, "part" as const), fc.integer({ min: 0, max: 120 }), fc.boolean())
      .map(([p, mode, pct, coded]) => new Refund(p, mode, pct, coded)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(customerArb, fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 400 }) }, { weight: 1, arbitrary: fc.integer({ min: -300, max: -1 }) }), fc.option(fc.integer({ min: 1, max: 40 })))
      .map(([c, a, d]) => new Adjust(c, a, d)),
  },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 25 }).map((d) => new Advance(d)) },
  { weight: 1, arbitrary: fc.constant(null).map(() => new Retry()) },
);

// ---------------------------------------------------------------------------------------------
// The runs

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

async function setup(clawback: Clawback): Promise<{ model: Model; real: Real }> {
  const api = await testApi({
    database,
    clock: new FakeClock(new Date(START)),
    program: {
      name: "Model shop",
      currency: "VND",
      timeZone: "Asia/Ho_Chi_Minh",
      earning: { enabled: true, points: 1, per: 1_000, rounding: "floor" },
      ledgerPolicy: { pendingDays: 0, expiry: { kind: "days", days: EXPIRY_DAYS }, clawback },
    },
  });
  const rewardIds = {} as Record<RewardKey, string>;
  for (const k of REWARD_KEYS) {
    const res = await api.call("POST", "/v1/rewards", CATALOGUE[k].body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    rewardIds[k] = res.body.id;
  }
  for (const ext of CUSTOMERS) expect((await api.call("PUT", `/v1/customers/${ext}`, {})).status).toBeLessThan(300);
  return { model: freshModel(clawback), real: { api, rewardIds } };
}

/** What the API shows at the end of a run: balances and expiring lots, redemptions, stock. */
async function checkApi(m: Model, r: Real) {
  for (let i = 0; i < m.customers.length; i++) {
    const c = m.customers[i]!;
    settle(m, c);
    const b = await r.api.call("GET", `/v1/customers/${c.ext}/balances`);
    const soon = new Map<number, number>();
    for (const l of c.lots) if (l.remaining > 0 && l.expiresAt <= m.now + 30 * DAY) soon.set(l.expiresAt, (soon.get(l.expiresAt) ?? 0) + l.remaining);
    expect({ available: b.body.available, pending: b.body.pending, expiringSoon: b.body.expiringSoon }, `final balances of ${c.ext}`).toEqual({
      available: c.available,
      pending: 0,
      expiringSoon: [...soon].sort(([a], [b2]) => a - b2).map(([t, amount]) => ({ amount, expiresAt: iso(t) })),
    });
    const list = await r.api.call("GET", `/v1/customers/${c.ext}/redemptions`);
    expect(list.status).toBe(200);
    const actual = (list.body.data as any[]).map((x) => ({ id: x.id, status: x.status, returned: x.returnTransactionId !== null, usedOrder: x.usedOrderId !== null })).sort((a, b) => (a.id < b.id ? -1 : 1));
    const expected = m.redemptions
      .filter((x) => x.customer === i)
      .map((x) => ({ id: x.id, status: shownStatus(m, x), returned: x.returned, usedOrder: x.usedOrder !== null }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(actual, `final redemptions of ${c.ext}`).toEqual(expected);
  }
  for (const k of REWARD_KEYS) {
    const rw = await r.api.call("GET", `/v1/rewards/${r.rewardIds[k]}`);
    const stock = CATALOGUE[k].stock;
    expect({ issued: rw.body.issued, available: rw.body.available }, `reward ${k}`).toEqual({ issued: m.issued[k], available: stock === null ? null : Math.max(0, stock - m.issued[k]) });
  }
}

/** Ledger invariants straight from the database, after a last settlement run. */
async function checkLedger(m: Model, r: Real) {
  expect((await r.api.call("POST", "/v1/ledger/settle")).status).toBe(200);
  for (const c of m.customers) settle(m, c);
  const db = r.api.ctx.db;
  const P = r.api.programId;
  const now = iso(m.now);

  // Every transaction has postings; postings are positive, never to themselves; every account's
  // balance derived from the postings (system accounts included) sums to zero.
  const [shape] = await rows<{ empty: number; bad: number; total: number }>(
    db,
    sql`select
          (select count(*)::int from ledger_transactions t where t.program_id = ${P} and not exists (select 1 from ledger_postings p where p.transaction_id = t.id)) as empty,
          (select count(*)::int from ledger_postings where program_id = ${P} and (amount <= 0 or source = destination)) as bad,
          (select coalesce(sum(b), 0)::float8 from (
             select sum(amount) as b from ledger_postings where program_id = ${P}
             union all select -sum(amount) from ledger_postings where program_id = ${P}) x) as total`,
  );
  expect(shape, "ledger shape").toEqual({ empty: 0, bad: 0, total: 0 });

  // Per customer: the stored balance row equals the postings, equals the model; lots agree with it.
  const cs = await rows<{ ext: string; available: number; pending: number; d_avail: number; d_pend: number; lot_avail: number; lot_pend: number; bad_lots: number; stale_lots: number }>(
    db,
    sql`select c.external_id as ext,
          coalesce((select available::float8 from account_balances b where b.program_id = c.program_id and b.customer_id = c.id and b.asset = 'points'), 0) as available,
          coalesce((select pending::float8 from account_balances b where b.program_id = c.program_id and b.customer_id = c.id and b.asset = 'points'), 0) as pending,
          (select coalesce(sum(case when p.destination = 'customer:' || c.id || ':available' then p.amount else -p.amount end), 0)::float8 from ledger_postings p
            where p.program_id = c.program_id and p.asset = 'points' and 'customer:' || c.id || ':available' in (p.source, p.destination)) as d_avail,
          (select coalesce(sum(case when p.destination = 'customer:' || c.id || ':pending' then p.amount else -p.amount end), 0)::float8 from ledger_postings p
            where p.program_id = c.program_id and p.asset = 'points' and 'customer:' || c.id || ':pending' in (p.source, p.destination)) as d_pend,
          (select coalesce(sum(remaining), 0)::float8 from lots l where l.program_id = c.program_id and l.customer_id = c.id and not l.pending) as lot_avail,
          (select coalesce(sum(remaining), 0)::float8 from lots l where l.program_id = c.program_id and l.customer_id = c.id and l.pending) as lot_pend,
          (select count(*)::int from lots l where l.program_id = c.program_id and l.customer_id = c.id and (l.remaining < 0 or l.remaining > l.amount)) as bad_lots,
          (select count(*)::int from lots l where l.program_id = c.program_id and l.customer_id = c.id and l.remaining > 0 and l.expires_at <= ${now}::timestamptz) as stale_lots
        from customers c where c.program_id = ${P} order by c.external_id`,
  );
  expect(cs.map((x) => x.ext)).toEqual([...CUSTOMERS].sort());
  for (const x of cs) {
    const c = m.customers.find((y) => y.ext === x.ext)!;
    expect({ ...x, available: Number(x.available), d_avail: Number(x.d_avail), lot_avail: Number(x.lot_avail) }, `ledger of ${x.ext}`).toEqual({
      ext: x.ext, available: c.available, pending: 0, d_avail: c.available, d_pend: 0, lot_avail: Math.max(0, c.available), lot_pend: 0, bad_lots: 0, stale_lots: 0,
    });
  }

  // The lots themselves, by expiry date, equal the model's (which lots the debits took, refills, returns).
  const lots = await rows<{ ext: string; expires_at: string | Date; remaining: number }>(
    db,
    sql`select c.external_id as ext, l.expires_at, sum(l.remaining)::float8 as remaining from lots l join customers c on c.id = l.customer_id
         where l.program_id = ${P} and l.remaining > 0 group by 1, 2 order by 1, 2`,
  );
  const expectedLots = m.customers
    .flatMap((c) => {
      const by = new Map<number, number>();
      for (const l of c.lots) if (l.remaining > 0) by.set(l.expiresAt, (by.get(l.expiresAt) ?? 0) + l.remaining);
      return [...by].map(([t, remaining]) => ({ ext: c.ext, expiresAt: iso(t), remaining }));
    })
    .sort((a, b) => (a.ext !== b.ext ? (a.ext < b.ext ? -1 : 1) : a.expiresAt < b.expiresAt ? -1 : 1));
  expect(lots.map((l) => ({ ext: l.ext, expiresAt: new Date(l.expires_at).toISOString(), remaining: Number(l.remaining) })), "lots by expiry").toEqual(expectedLots);

  // No transaction reversed twice.
  const twice = await rows<{ reverses_id: string }>(db, sql`select reverses_id from ledger_transactions where program_id = ${P} and reverses_id is not null group by 1 having count(*) > 1`);
  expect(twice, "transactions reversed twice").toEqual([]);

  // Each redemption: debited its points once to `redeemed`; its points given back at most once (a
  // cancellation's reversal or a full refund's return), exactly when the model says, in full.
  const reds = await rows<{ id: string; status: string; points: number; return_transaction_id: string | null; debited: number; reversals: number; returns: number; returned_points: number; back_txn: string | null }>(
    db,
    sql`select r.id, r.status, r.points::float8 as points, r.return_transaction_id,
          (select coalesce(sum(p.amount), 0)::float8 from ledger_postings p where p.transaction_id = r.transaction_id and p.destination = 'redeemed') as debited,
          (select count(*)::int from ledger_transactions t where t.program_id = r.program_id and t.reverses_id = r.transaction_id) as reversals,
          (select count(*)::int from ledger_transactions t where t.program_id = r.program_id and t.type = 'redemption_return' and t.reference = 'redemption-return:' || r.id) as returns,
          (select coalesce(sum(p.amount), 0)::float8 from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
            where t.program_id = r.program_id and (t.reverses_id = r.transaction_id or t.reference = 'redemption-return:' || r.id) and p.destination like 'customer:%') as returned_points,
          (select min(t.id) from ledger_transactions t where t.program_id = r.program_id and (t.reverses_id = r.transaction_id or t.reference = 'redemption-return:' || r.id)) as back_txn
        from redemptions r where r.program_id = ${P} order by r.id`,
  );
  expect(reds.map((x) => x.id), "redemptions").toEqual(m.redemptions.map((x) => x.id).sort());
  for (const x of reds) {
    const red = m.redemptions.find((y) => y.id === x.id)!;
    expect(
      { status: x.status, debited: Number(x.debited), reversals: x.reversals, returns: x.returns, returnedPoints: Number(x.returned_points), returnTxn: x.return_transaction_id },
      `ledger of redemption ${x.id} (${red.reward})`,
    ).toEqual({
      status: red.status,
      debited: red.points,
      reversals: red.status === "cancelled" ? 1 : 0,
      returns: red.returned && red.status !== "cancelled" ? 1 : 0,
      returnedPoints: red.returned ? red.points : 0,
      returnTxn: red.returned ? x.back_txn : null,
    });
  }

  // What sits in `redeemed` is the points of the redemptions not cancelled.
  const [redeemed] = await rows<{ s: number }>(
    db,
    sql`select coalesce(sum(case when destination = 'redeemed' then amount else -amount end), 0)::float8 as s from ledger_postings where program_id = ${P} and 'redeemed' in (source, destination)`,
  );
  expect(Number(redeemed!.s), "balance of redeemed").toBe(m.redemptions.filter((x) => x.status !== "cancelled").reduce((n, x) => n + x.points, 0));
}

describe("rewards: model-based test over earn, redeem, use, cancel, refund and expiry", () => {
  it(`agrees with the model over ${NUM_RUNS} random command sequences`, async () => {
    const stats = { runs: 0, commands: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Clawback>("allow_negative", "allow_negative", "cap"), fc.commands([command], { maxCommands: 60, size: "max" }), async (clawback, cmds) => {
        const s = await setup(clawback);
        await fc.asyncModelRun(() => s, cmds);
        await checkApi(s.model, s.real);
        await checkLedger(s.model, s.real);
        stats.runs++;
        stats.commands += s.model.steps;
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
    expect(stats.runs).toBeGreaterThanOrEqual(NUM_RUNS);
    // The runs must have reached the situations this test is about, or it proves little (checked
    // for full-size runs; a handful of runs through PATRON_MODEL_RUNS may miss some).
    console.info(`rewards model: ${stats.runs} runs, ${stats.commands} commands`, Object.fromEntries(Object.entries(tally).sort()));
    for (const what of NUM_RUNS < 40 ? [] : [
      "lot expired", "credit paid a debt", "code used (off)", "code used (ship)", "code not_valid: never issued", "code not_valid: another customer's", "code not_valid: used",
      "code not_valid: expired", "code not_valid: cancelled", "redeem: out of stock", "redeem: insufficient points", "redeem: gift", "cancel: off", "cancel: gift",
      "cancel refused: used", "cancel refused: expired", "cancel refused: cancelled", "refund: exceeds the order", "refund: balance goes negative", "refund: shortfall (cap)",
      "refund: reward points returned", "refund: the order's points had expired", "adjust: insufficient points",
    ]) {
      expect(tally[what] ?? 0, what).toBeGreaterThan(0);
    }
  }, 600_000);
});
