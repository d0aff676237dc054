import { sql } from "drizzle-orm";
import { DAY_MS, formatCode, giftCardState, type DomainError, type Holdings, type Result } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { holdingKey } from "../../db/ledger-repo.ts";
import type { Program } from "../programs/program.ts";
import { listTransactions, type TransactionView } from "../ledger/read-ledger.ts";
import { readHoldings } from "./wallet-holdings.ts";

export const WALLET_ASSETS = ["bonus", "cash"] as const;
export type WalletAsset = (typeof WALLET_ASSETS)[number];

export interface WalletBalanceView {
  /** Spendable now (cash: also withdrawable). */
  available: number;
  /** Credited but held: a return window, or the cash hold; `pendingLots` says until when. */
  pending: number;
  pendingLots: { amount: number; availableAt: string | null }[];
  /** Available money that expires within `expiringWithinDays`, soonest first, grouped by instant. */
  expiringSoon: { amount: number; expiresAt: string }[];
  /** The soonest expiry of all, however far: what a customer should spend first. Null: nothing expires. */
  nextExpiry: { amount: number; expiresAt: string } | null;
}

export interface WalletView {
  currency: string;
  bonus: WalletBalanceView;
  cash: WalletBalanceView & { onHold: number; openPayouts: number };
  /** Gift cards given to this customer (anyone with a code may spend it: this is a list, not an ownership). */
  giftCards: { id: string; code: string; balance: number; status: "active" | "disabled" | "expired"; expiresAt: string | null }[];
  expiringWithinDays: number;
}

function balanceView(h: Holdings, now: Date, days: number): WalletBalanceView {
  const group = (entries: [string, number][]) => {
    const m = new Map<string, number>();
    for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
    return [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  };
  const horizon = now.getTime() + days * DAY_MS;
  const expiring = group(h.lots.filter((l) => !l.pending && l.expiresAt !== null).map((l) => [l.expiresAt!.toISOString(), l.remaining]));
  const [first] = expiring;
  return {
    available: h.available,
    pending: h.pending,
    pendingLots: group(h.lots.filter((l) => l.pending).map((l) => [l.pendingUntil?.toISOString() ?? "", l.remaining])).map(([at, amount]) => ({ amount, availableAt: at || null })),
    expiringSoon: expiring.filter(([at]) => Date.parse(at) <= horizon).map(([expiresAt, amount]) => ({ amount, expiresAt })),
    nextExpiry: first ? { amount: first[1], expiresAt: first[0] } : null,
  };
}

/**
 * A customer's wallet as of `now`: the bonus and cash balances (available, pending and until when,
 * what expires soonest), the cash on hold for open payouts, and the gift cards given to them.
 */
export async function getWallet(ex: Executor, program: Program, customerId: string, now: Date, days = 30): Promise<WalletView> {
  const cards = await rows<{ id: string; code: string; status: "active" | "disabled"; expires_at: string | Date | null }>(
    ex,
    sql`select id, code, status, expires_at from gift_cards where program_id = ${program.id} and customer_id = ${customerId} order by id`,
  );
  const holdings = await readHoldings(ex, program.id, [{ customerId, asset: "bonus" }, { customerId, asset: "cash" }, ...cards.map((c) => ({ customerId: c.id, asset: "gift_card" as const }))], now);
  const [held] = await rows<{ amount: number; n: number }>(
    ex,
    sql`select coalesce(sum(amount), 0)::float8 as amount, count(*)::int as n from payouts where program_id = ${program.id} and customer_id = ${customerId} and status in ('pending', 'approved')`,
  );
  return {
    currency: program.currency,
    bonus: balanceView(holdings.get(holdingKey(customerId, "bonus"))!, now, days),
    cash: { ...balanceView(holdings.get(holdingKey(customerId, "cash"))!, now, days), onHold: Number(held?.amount ?? 0), openPayouts: Number(held?.n ?? 0) },
    giftCards: cards.map((c) => {
      const expiresAt = c.expires_at === null ? null : new Date(c.expires_at);
      return { id: c.id, code: formatCode(c.code), balance: Math.max(0, holdings.get(holdingKey(c.id, "gift_card"))!.available), status: giftCardState({ status: c.status, expiresAt }, now), expiresAt: expiresAt?.toISOString() ?? null };
    }),
    expiringWithinDays: days,
  };
}

/**
 * The ledger transactions of one wallet balance, newest first, a page at a time: credits (rules,
 * adjustments), payments at checkout and their refunds, payouts, releases and expiries.
 *
 * Errors: INVALID_CURSOR.
 */
export function listWalletHistory(ex: Executor, programId: string, customerId: string, asset: WalletAsset, q: { limit: number; cursor?: string | undefined }): Promise<Result<{ data: TransactionView[]; nextCursor: string | null }, DomainError>> {
  return listTransactions(ex, programId, customerId, { limit: q.limit, cursor: q.cursor, asset });
}
