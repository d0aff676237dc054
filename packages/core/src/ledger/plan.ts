import { err, ok, type Result } from "../result.ts";
import { domainError, type DomainError } from "../errors.ts";
import { available, pending, WORLD, EXPIRED } from "./accounts.ts";
import type { Holdings, Lot, Plan, Posting } from "./types.ts";
import { emptyPlan } from "./types.ts";

/**
 * Pure planners for ledger transactions. Each takes a customer's holdings (balances and lots, read
 * under lock by the caller) and returns the postings and lot changes of one transaction. They never
 * mutate their input; `applyPlan` gives the holdings after a plan.
 */

/** Soonest-expiring first; never-expiring last; then oldest first, then by id for a total order. */
export function spendOrder(a: Lot, b: Lot): number {
  const ea = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ca = a.createdAt.getTime();
  const cb = b.createdAt.getTime();
  if (ca !== cb) return ca - cb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface CreditInput {
  amount: number;
  lotId: string;
  effectiveAt: Date;
  pendingUntil: Date | null;
  expiresAt: Date | null;
  now: Date;
  source?: string;
}

/**
 * Credit `amount` as a new lot. Value still inside its pending period goes to the pending account.
 * Value credited to a negative available balance first pays that debt, so lots keep agreeing with balances.
 */
export function planCredit(h: Holdings, input: CreditInput): Plan {
  const plan = emptyPlan();
  if (input.amount <= 0) return plan;
  const isPending = input.pendingUntil !== null && input.pendingUntil.getTime() > input.now.getTime();
  const debt = isPending ? 0 : Math.max(0, -h.available);
  plan.postings.push({
    source: input.source ?? WORLD,
    destination: isPending ? pending(h.customerId) : available(h.customerId),
    asset: h.asset,
    amount: input.amount,
    lotId: input.lotId,
  });
  plan.newLots.push({
    id: input.lotId,
    customerId: h.customerId,
    asset: h.asset,
    amount: input.amount,
    remaining: input.amount - Math.min(debt, input.amount),
    pending: isPending,
    pendingUntil: input.pendingUntil,
    expiresAt: input.expiresAt,
    createdAt: input.effectiveAt,
  });
  return plan;
}

export interface DebitInput {
  amount: number;
  destination: string;
  /** Take from this lot first (a clawback takes back the order's own points first). */
  preferLotId?: string | null;
  /** What to do when lots do not cover the amount. */
  onShortfall: "reject" | "negative" | "cap";
}

/**
 * Debit `amount` from the customer: the preferred lot first (even while pending), then available
 * lots soonest-expiring first. Call after `planSettle` so expired lots are gone.
 *
 * Errors: INSUFFICIENT_POINTS (onShortfall "reject" and the lots do not cover the amount).
 */
export function planDebit(h: Holdings, input: DebitInput): Result<Plan, DomainError> {
  const plan = emptyPlan();
  let left = input.amount;
  const take = (lot: Lot) => {
    if (left === 0 || lot.remaining === 0) return;
    const n = Math.min(left, lot.remaining);
    left -= n;
    plan.postings.push({
      source: lot.pending ? pending(h.customerId) : available(h.customerId),
      destination: input.destination,
      asset: h.asset,
      amount: n,
      lotId: lot.id,
    });
    plan.lotUpdates.push({ lotId: lot.id, remaining: lot.remaining - n, pending: lot.pending });
  };
  const preferred = input.preferLotId ? h.lots.find((l) => l.id === input.preferLotId) : undefined;
  if (preferred) take(preferred);
  const spendable = h.lots.filter((l) => !l.pending && l.remaining > 0 && l !== preferred).sort(spendOrder);
  for (const lot of spendable) take(lot);
  if (left > 0) {
    if (input.onShortfall === "reject") {
      return err(
        domainError("INSUFFICIENT_POINTS", `The customer has ${Math.max(0, h.available)} available; ${input.amount} are needed.`, {
          available: Math.max(0, h.available),
          required: input.amount,
        }),
      );
    }
    if (input.onShortfall === "negative") {
      // A documented clawback entry: the only way an available balance goes below zero.
      plan.postings.push({ source: available(h.customerId), destination: input.destination, asset: h.asset, amount: left, lotId: null });
    } else {
      plan.shortfall = left;
    }
  }
  return ok(plan);
}

/**
 * Bring holdings up to `now`: release pending lots whose period has passed (in time order, paying any
 * negative balance first), then expire lots whose date has come. Returns an empty plan when nothing is due.
 */
export function planSettle(h: Holdings, now: Date): Plan {
  const plan = emptyPlan();
  const t = now.getTime();
  let debt = Math.max(0, -h.available);
  const due = h.lots
    .filter((l) => l.pending && l.pendingUntil !== null && l.pendingUntil.getTime() <= t)
    .sort((a, b) => a.pendingUntil!.getTime() - b.pendingUntil!.getTime() || spendOrder(a, b));
  const state = new Map<string, { remaining: number; pending: boolean }>();
  for (const lot of due) {
    if (lot.remaining > 0) {
      plan.postings.push({ source: pending(h.customerId), destination: available(h.customerId), asset: h.asset, amount: lot.remaining, lotId: lot.id });
    }
    const repay = Math.min(debt, lot.remaining);
    debt -= repay;
    state.set(lot.id, { remaining: lot.remaining - repay, pending: false });
  }
  for (const lot of h.lots) {
    if (lot.expiresAt === null || lot.expiresAt.getTime() > t) continue;
    const s = state.get(lot.id) ?? { remaining: lot.remaining, pending: lot.pending };
    if (s.remaining > 0) {
      plan.postings.push({
        source: s.pending ? pending(h.customerId) : available(h.customerId),
        destination: EXPIRED,
        asset: h.asset,
        amount: s.remaining,
        lotId: lot.id,
      });
    }
    state.set(lot.id, { remaining: 0, pending: s.pending });
  }
  for (const [lotId, s] of state) plan.lotUpdates.push({ lotId, remaining: s.remaining, pending: s.pending });
  return plan;
}

/**
 * Reverse a transaction: every posting mirrored. Value the customer received is taken back from the
 * same lot first, then from other lots (INSUFFICIENT_POINTS if they do not cover it, unless `force`,
 * which records a clawback); value the customer gave is put back into the lots it came from.
 *
 * `expired` says, per lot of the credit, how much of it expiry has already removed. That part is not
 * taken back again: expiry took it from the customer once, and taking it from their other lots (or as
 * a clawback) would charge them twice for the same value.
 *
 * Errors: REVERSAL_NOT_ALLOWED (a posting between two customer accounts, such as a release), INSUFFICIENT_POINTS.
 *
 * @example
 * // A credit of 100 into lot L, of which 70 expired and 30 were spent: only the 30 are taken back.
 * planReversal(h, [{ source: WORLD, destination: available(c), asset: "points", amount: 100, lotId: "L" }], false, new Map([["L", 70]]));
 */
export function planReversal(h: Holdings, original: readonly Posting[], force: boolean, expired: ReadonlyMap<string, number> = new Map()): Result<Plan, DomainError> {
  const plan = emptyPlan();
  const gone = new Map(expired);
  const lots = new Map(h.lots.map((l) => [l.id, { ...l }]));
  let current: Holdings = h;
  const acctA = available(h.customerId);
  const acctP = pending(h.customerId);
  const ours = (a: string) => a === acctA || a === acctP;
  // Undo in reverse order, last posting first. A clawback ends with its lotless shortfall posting (the
  // one that made the balance negative); put back first, it cancels that debt. Put back last, the lot
  // refills before it would "repay" the same debt, leaving available value that no lot holds.
  for (const p of [...original].reverse()) {
    if (ours(p.source) && ours(p.destination)) {
      return err(domainError("REVERSAL_NOT_ALLOWED", "A transfer between a customer's own accounts (a release) cannot be reversed."));
    }
    if (ours(p.destination)) {
      const taken = p.lotId ? Math.min(p.amount, gone.get(p.lotId) ?? 0) : 0;
      if (p.lotId && taken > 0) gone.set(p.lotId, gone.get(p.lotId)! - taken);
      if (taken === p.amount) continue;
      const debit = planDebit(current, { amount: p.amount - taken, destination: p.source, preferLotId: p.lotId, onShortfall: force ? "negative" : "reject" });
      if (!debit.ok) return debit;
      merge(plan, debit.value);
      current = applyPlan(current, debit.value);
    } else if (ours(p.source)) {
      const lot = p.lotId ? (lots.get(p.lotId) ?? null) : null;
      const toPending = lot?.pending === true && p.source === acctP;
      const posting: Posting = { source: p.destination, destination: toPending ? acctP : acctA, asset: p.asset, amount: p.amount, lotId: p.lotId };
      const step = emptyPlan();
      step.postings.push(posting);
      const existing = p.lotId ? current.lots.find((l) => l.id === p.lotId) : undefined;
      if (p.lotId) {
        const base = existing ?? lots.get(p.lotId);
        const remaining = (existing?.remaining ?? 0) + p.amount;
        // Value returned to a negative available balance pays the debt first.
        const debt = toPending ? 0 : Math.max(0, -current.available);
        const repay = Math.min(debt, p.amount);
        step.lotUpdates.push({ lotId: p.lotId, remaining: remaining - repay, pending: base?.pending ?? false });
      }
      merge(plan, step);
      current = applyPlan(current, step, lots);
    }
  }
  return ok(plan);
}

function merge(into: Plan, from: Plan) {
  into.postings.push(...from.postings);
  into.newLots.push(...from.newLots);
  for (const u of from.lotUpdates) {
    const i = into.lotUpdates.findIndex((x) => x.lotId === u.lotId);
    if (i >= 0) into.lotUpdates[i] = u;
    else into.lotUpdates.push(u);
  }
  into.shortfall += from.shortfall;
}

/** Concatenate plans in order (later lot updates win). */
export function combinePlans(...plans: Plan[]): Plan {
  const out = emptyPlan();
  for (const p of plans) merge(out, p);
  return out;
}

/**
 * The holdings after `plan`. `known` supplies lots that have no value left (so are not in `h.lots`)
 * but that a plan may refill, such as a reversal of a debit.
 */
export function applyPlan(h: Holdings, plan: Plan, known?: Map<string, Lot>): Holdings {
  let avail = h.available;
  let pend = h.pending;
  const a = available(h.customerId);
  const p = pending(h.customerId);
  for (const x of plan.postings) {
    if (x.asset !== h.asset) continue;
    if (x.source === a) avail -= x.amount;
    if (x.source === p) pend -= x.amount;
    if (x.destination === a) avail += x.amount;
    if (x.destination === p) pend += x.amount;
  }
  const lots = new Map(h.lots.map((l) => [l.id, l]));
  for (const l of plan.newLots) lots.set(l.id, l);
  for (const u of plan.lotUpdates) {
    const base = lots.get(u.lotId) ?? known?.get(u.lotId);
    if (base) lots.set(u.lotId, { ...base, remaining: u.remaining, pending: u.pending });
  }
  return { ...h, available: avail, pending: pend, lots: [...lots.values()].filter((l) => l.remaining > 0) };
}

/** Net change per account and asset of a set of postings; sums to zero per asset by construction. */
export function balanceDeltas(postings: readonly Posting[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of postings) {
    const s = `${p.source}\u0000${p.asset}`;
    const d = `${p.destination}\u0000${p.asset}`;
    m.set(s, (m.get(s) ?? 0) - p.amount);
    m.set(d, (m.get(d) ?? 0) + p.amount);
  }
  return m;
}
