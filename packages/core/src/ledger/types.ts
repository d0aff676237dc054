import type { Asset } from "./accounts.ts";

/** A movement of `amount` (a positive integer) of `asset` from one account to another. */
export interface Posting {
  source: string;
  destination: string;
  asset: Asset;
  amount: number;
  /** The lot this posting credits, consumes or moves; null for value that belongs to no lot (a clawback shortfall). */
  lotId: string | null;
}

/**
 * A lot is one credit of value with its own pending period and expiry. `remaining` is what is left of
 * it; while `pending` is true the lot's value sits in the customer's pending account.
 * Invariant: Σ remaining of pending lots = pending balance; Σ remaining of available lots = max(0, available balance).
 */
export interface Lot {
  id: string;
  customerId: string;
  asset: Asset;
  amount: number;
  remaining: number;
  pending: boolean;
  pendingUntil: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
}

/** What the planners need to know about one customer's holdings of one asset. */
export interface Holdings {
  customerId: string;
  asset: Asset;
  available: number;
  pending: number;
  /** Lots with value left (remaining > 0). */
  lots: Lot[];
}

export interface LotUpdate {
  lotId: string;
  remaining: number;
  pending: boolean;
}

/** A decision: the postings of one ledger transaction and what they do to lots. The database applies it as is. */
export interface Plan {
  postings: Posting[];
  newLots: Lot[];
  lotUpdates: LotUpdate[];
  /** Value that a capped clawback could not take (recorded, never posted). */
  shortfall: number;
}

export const emptyPlan = (): Plan => ({ postings: [], newLots: [], lotUpdates: [], shortfall: 0 });
