/**
 * Model-based property test of the ledger planners (house style §7, after Formance's HaveCoherentState):
 * a small in-memory ledger built only from the core planners runs random command sequences, and after
 * every command the whole state must be coherent.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { clawbackFor } from "../earning/policy.ts";
import { DAY_MS } from "../calendar/zoned.ts";
import { ASSETS, available, pending, WORLD } from "./accounts.ts";
import { applyPlan, balanceDeltas, planCredit, planDebit, planReversal, planSettle } from "./plan.ts";
import { emptyPlan, type Holdings, type Lot, type Plan, type Posting } from "./types.ts";

const HOUR = 3_600_000;

interface Transaction {
  kind: "earn" | "clawback" | "adjust_credit" | "adjust_debit" | "settle" | "reversal";
  customerId: string;
  postings: Posting[];
  reversed: boolean;
}

interface Order {
  customerId: string;
  lotId: string;
  earned: number;
  total: number;
  refunded: number;
  clawed: number;
}

/** What the server keeps: per customer holdings, every lot ever made (in its latest state), and every posting. */
class Ledger {
  now = Date.parse("2024-01-01T00:00:00Z");
  readonly holdings = new Map<string, Holdings>();
  readonly lots = new Map<string, Lot>();
  readonly postings: Posting[] = [];
  readonly transactions: Transaction[] = [];
  readonly orders: Order[] = [];
  private nextId = 0;

  constructor(readonly customers: string[]) {
    for (const c of customers) this.holdings.set(c, { customerId: c, asset: "points", available: 0, pending: 0, lots: [] });
  }

  id(prefix: string) {
    return `${prefix}${++this.nextId}`;
  }

  get(customerId: string): Holdings {
    return this.holdings.get(customerId)!;
  }

  /** Writes a plan as one transaction, as the database would. */
  commit(customerId: string, kind: Transaction["kind"], plan: Plan): Transaction {
    this.holdings.set(customerId, applyPlan(this.get(customerId), plan, this.lots));
    for (const l of plan.newLots) {
      expect(this.lots.has(l.id), `lot ${l.id} is new`).toBe(false);
      this.lots.set(l.id, l);
    }
    for (const u of plan.lotUpdates) {
      const base = this.lots.get(u.lotId);
      expect(base, `lot update for unknown lot ${u.lotId}`).toBeDefined();
      this.lots.set(u.lotId, { ...base!, remaining: u.remaining, pending: u.pending });
    }
    this.postings.push(...plan.postings);
    const tx: Transaction = { kind, customerId, postings: plan.postings, reversed: false };
    this.transactions.push(tx);
    return tx;
  }

  /** Releases and expires what is due at `now`; settling again right after must plan nothing. */
  settle(customerId: string) {
    const plan = planSettle(this.get(customerId), new Date(this.now));
    if (plan.postings.length > 0 || plan.lotUpdates.length > 0) this.commit(customerId, "settle", plan);
    expect(planSettle(this.get(customerId), new Date(this.now))).toEqual(emptyPlan());
  }

  credit(customerId: string, kind: "earn" | "adjust_credit", amount: number, pendingDays: number, expiryDays: number | null): string {
    const lotId = this.id("lot");
    const now = new Date(this.now);
    const plan = planCredit(this.get(customerId), {
      amount,
      lotId,
      effectiveAt: now,
      pendingUntil: pendingDays > 0 ? new Date(this.now + pendingDays * DAY_MS) : null,
      expiresAt: expiryDays === null ? null : new Date(this.now + expiryDays * DAY_MS),
      now,
    });
    this.commit(customerId, kind, plan);
    return lotId;
  }
}

// ---- commands -------------------------------------------------------------------------------------------

type Command =
  | { kind: "advance"; hours: number }
  | { kind: "earn"; customer: number; points: number; total: number; pendingDays: number; expiryDays: number | null }
  | { kind: "refund"; order: number; full: boolean; percent: number; onShortfall: "negative" | "cap" }
  | { kind: "adjust_credit"; customer: number; points: number; expiryDays: number | null }
  /** A share of the available balance, so most debits succeed and some (over 100 %) are rejected. */
  | { kind: "adjust_debit"; customer: number; percent: number }
  | { kind: "reverse"; transaction: number; force: boolean }
  | { kind: "settle"; customer: number };

const customer = fc.nat({ max: 2 });
const expiryDays = fc.option(fc.integer({ min: 1, max: 30 }), { nil: null, freq: 3 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), hours: fc.integer({ min: 1, max: 10 * 24 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("earn" as const),
      customer,
      points: fc.integer({ min: 1, max: 500 }),
      total: fc.integer({ min: 1, max: 1_000_000 }),
      pendingDays: fc.integer({ min: 0, max: 5 }),
      expiryDays,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("refund" as const),
      order: fc.nat(),
      full: fc.boolean(),
      percent: fc.integer({ min: 1, max: 99 }),
      onShortfall: fc.constantFrom("negative" as const, "cap" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("adjust_credit" as const), customer, points: fc.integer({ min: 1, max: 300 }), expiryDays }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("adjust_debit" as const), customer, percent: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("reverse" as const), transaction: fc.nat(), force: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("settle" as const), customer }) },
);

function run(ledger: Ledger, cmd: Command) {
  const who = (i: number) => ledger.customers[i % ledger.customers.length]!;
  switch (cmd.kind) {
    case "advance":
      ledger.now += cmd.hours * HOUR;
      return;
    case "earn": {
      const c = who(cmd.customer);
      const lotId = ledger.credit(c, "earn", cmd.points, cmd.pendingDays, cmd.expiryDays);
      ledger.orders.push({ customerId: c, lotId, earned: cmd.points, total: cmd.total, refunded: 0, clawed: 0 });
      return;
    }
    case "adjust_credit":
      ledger.credit(who(cmd.customer), "adjust_credit", cmd.points, 0, cmd.expiryDays);
      return;
    case "refund": {
      const open = ledger.orders.filter((o) => o.refunded < o.total);
      if (open.length === 0) return;
      const order = open[cmd.order % open.length]!;
      const refundedNow = cmd.full ? order.total - order.refunded : Math.max(1, Math.floor(((order.total - order.refunded) * cmd.percent) / 100));
      const amount = clawbackFor({ earned: order.earned, orderTotal: order.total, refundedBefore: order.refunded, refundedNow, clawedBefore: order.clawed });
      order.refunded += refundedNow;
      order.clawed += amount;
      expect(order.clawed).toBeLessThanOrEqual(order.earned);
      if (order.refunded === order.total) expect(order.clawed).toBe(order.earned);
      if (amount === 0) return;
      ledger.settle(order.customerId);
      const r = planDebit(ledger.get(order.customerId), { amount, destination: WORLD, preferLotId: order.lotId, onShortfall: cmd.onShortfall });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const posted = r.value.postings.reduce((a, p) => a + p.amount, 0);
      expect(posted + r.value.shortfall).toBe(amount);
      if (cmd.onShortfall === "negative") expect(r.value.shortfall).toBe(0);
      ledger.commit(order.customerId, "clawback", r.value);
      return;
    }
    case "adjust_debit": {
      const c = who(cmd.customer);
      ledger.settle(c);
      const h = ledger.get(c);
      const amount = Math.max(1, Math.ceil((Math.max(0, h.available) * cmd.percent) / 100));
      const r = planDebit(h, { amount, destination: WORLD, onShortfall: "reject" });
      // It rejects exactly when the customer's available value does not cover the amount.
      expect(r.ok).toBe(amount <= Math.max(0, h.available));
      if (r.ok) ledger.commit(c, "adjust_debit", r.value);
      else expect(r.error.code).toBe("INSUFFICIENT_POINTS");
      return;
    }
    case "reverse": {
      const candidates = ledger.transactions.filter((tx) => !tx.reversed && ["earn", "adjust_credit", "adjust_debit"].includes(tx.kind));
      if (candidates.length === 0) return;
      const tx = candidates[cmd.transaction % candidates.length]!;
      ledger.settle(tx.customerId);
      const r = planReversal(ledger.get(tx.customerId), tx.postings, cmd.force);
      if (!r.ok) {
        expect(cmd.force, "a forced reversal of a credit or debit never fails").toBe(false);
        expect(r.error.code).toBe("INSUFFICIENT_POINTS");
        return;
      }
      ledger.commit(tx.customerId, "reversal", r.value);
      tx.reversed = true;
      return;
    }
    case "settle":
      ledger.settle(who(cmd.customer));
      return;
  }
}

// ---- the coherent state ---------------------------------------------------------------------------------

/** Every way the state is not coherent, as readable sentences; empty when all is well. */
function incoherences(ledger: Ledger): string[] {
  const problems: string[] = [];
  const fail = (condition: boolean, message: () => string) => {
    if (!condition) problems.push(message());
  };

  for (const p of ledger.postings) {
    fail(Number.isSafeInteger(p.amount) && p.amount > 0, () => `posting ${JSON.stringify(p)} does not move a positive integer`);
    fail(p.source !== p.destination, () => `posting ${JSON.stringify(p)} moves value to its own account`);
  }

  const balances = balanceDeltas(ledger.postings);
  const balance = (account: string) => balances.get(`${account}\u0000points`) ?? 0;
  for (const asset of ASSETS) {
    // Every account, world and expired included.
    const sum = [...balances].filter(([key]) => key.endsWith(`\u0000${asset}`)).reduce((a, [, v]) => a + v, 0);
    fail(sum === 0, () => `balances of ${asset} sum to ${sum}, not 0`);
  }

  for (const c of ledger.customers) {
    const h = ledger.get(c);
    const a = available(c);
    fail(h.available === balance(a), () => `${c}: holdings say ${h.available} available, postings say ${balance(a)}`);
    fail(h.pending === balance(pending(c)), () => `${c}: holdings say ${h.pending} pending, postings say ${balance(pending(c))}`);

    // Only a lotless posting (a clawback, or a forced reversal) may take the available balance below zero, and by no more than it took.
    const lotless = ledger.postings.filter((p) => p.lotId === null).reduce((n, p) => n + (p.source === a ? p.amount : 0) - (p.destination === a ? p.amount : 0), 0);
    fail(h.available >= -Math.max(0, lotless), () => `${c}: available ${h.available} is below zero by more than clawbacks took (${lotless})`);
    fail(h.pending >= 0, () => `${c}: pending ${h.pending} is negative`);

    const lots = [...ledger.lots.values()].filter((l) => l.customerId === c);
    for (const l of lots) fail(l.remaining >= 0 && l.remaining <= l.amount, () => `${c}: lot ${l.id} has ${l.remaining} left of ${l.amount}`);
    const inPending = lots.filter((l) => l.pending).reduce((n, l) => n + l.remaining, 0);
    const inAvailable = lots.filter((l) => !l.pending).reduce((n, l) => n + l.remaining, 0);
    fail(inPending === h.pending, () => `${c}: pending lots hold ${inPending}, the pending balance is ${h.pending}`);
    fail(inAvailable === Math.max(0, h.available), () => `${c}: available lots hold ${inAvailable}, the available balance is ${h.available}`);

    // The holdings the planners see carry exactly the lots with value left.
    const held = h.lots.map((l) => l.id).sort().join(",");
    const withValue = lots.filter((l) => l.remaining > 0).map((l) => l.id).sort().join(",");
    fail(held === withValue, () => `${c}: holdings carry lots [${held}], lots with value are [${withValue}]`);
  }
  return problems;
}

describe("ledger planners (model-based property)", () => {
  it("keep a coherent state through any sequence of earns, refunds, adjustments, reversals and settlements", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(command, { minLength: 1, maxLength: 40, size: "max" }), (customerCount, commands) => {
        const ledger = new Ledger(["alice", "bao", "chloe"].slice(0, customerCount));
        for (const cmd of commands) {
          run(ledger, cmd);
          expect(incoherences(ledger), `after ${JSON.stringify(cmd)}`).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
