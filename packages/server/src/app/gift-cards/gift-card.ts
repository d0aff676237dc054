import { sql } from "drizzle-orm";
import { domainError, err, formatCode, giftCardState, normalizeGiftCardCode, ok, type DomainError, type GiftCardStatus, type Result } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { holdingKey } from "../../db/ledger-repo.ts";
import { listTransactions, type TransactionView } from "../ledger/read-ledger.ts";
import { readHoldings } from "../wallet/wallet-holdings.ts";

export interface GiftCardRow {
  id: string;
  code: string;
  currency: string;
  initial_amount: number;
  status: GiftCardStatus;
  customer_id: string | null;
  external_id: string | null;
  expires_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
}

export interface GiftCardView {
  id: string;
  /** Shown in groups of four when it is a generated 12-character code; typed in any case, with or without hyphens. */
  code: string;
  currency: string;
  initialAmount: number;
  /** What is left on the card now (an expired card shows 0). */
  balance: number;
  status: GiftCardStatus | "expired";
  /** The store's id of the customer it was given to, if any. */
  customerId: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const date = (v: string | Date | null) => (v === null ? null : new Date(v));

/** Reads one card by its (typed) code, optionally locking its row. Null when there is none. */
export async function findGiftCard(ex: Executor, programId: string, typed: string, opts: { lock: boolean } = { lock: false }): Promise<GiftCardRow | null> {
  const code = normalizeGiftCardCode(typed);
  if (code === null) return null;
  const [r] = await rows<GiftCardRow>(
    ex,
    sql`select g.id, g.code, g.currency, g.initial_amount::float8 as initial_amount, g.status, g.customer_id, c.external_id, g.expires_at, g.created_at, g.updated_at
          from gift_cards g left join customers c on c.id = g.customer_id
         where g.program_id = ${programId} and g.code = ${code} ${opts.lock ? sql`for update of g` : sql``}`,
  );
  return r ?? null;
}

export const giftCardNotFound = (typed: string): DomainError => domainError("GIFT_CARD_NOT_FOUND", "No gift card with this code.", { code: typed });

/** The card with its balance as of `now`. */
export async function toGiftCardView(ex: Executor, programId: string, r: GiftCardRow, now: Date): Promise<GiftCardView> {
  const h = (await readHoldings(ex, programId, [{ customerId: r.id, asset: "gift_card" }], now)).get(holdingKey(r.id, "gift_card"))!;
  const expiresAt = date(r.expires_at);
  return {
    id: r.id, code: formatCode(r.code), currency: r.currency, initialAmount: Number(r.initial_amount), balance: Math.max(0, h.available),
    status: giftCardState({ status: r.status, expiresAt }, now), customerId: r.external_id, expiresAt: expiresAt?.toISOString() ?? null,
    createdAt: date(r.created_at)!.toISOString(), updatedAt: date(r.updated_at)!.toISOString(),
  };
}

/**
 * A gift card by code, with its balance and its history (the card's ledger transactions, newest
 * first: the issue, payments at checkout, refunds, expiry).
 *
 * Errors: GIFT_CARD_NOT_FOUND, INVALID_CURSOR.
 */
export async function getGiftCard(ex: Executor, programId: string, typed: string, now: Date, q: { limit: number; cursor?: string | undefined }): Promise<Result<GiftCardView & { history: TransactionView[]; nextCursor: string | null }, DomainError>> {
  const r = await findGiftCard(ex, programId, typed);
  if (!r) return err(giftCardNotFound(typed));
  const history = await listTransactions(ex, programId, r.id, { limit: q.limit, cursor: q.cursor, asset: "gift_card" });
  if (!history.ok) return history;
  return ok({ ...(await toGiftCardView(ex, programId, r, now)), history: history.value.data, nextCursor: history.value.nextCursor });
}
