/** What stamp cards did, as an event's or a staff confirmation's answer tells it (StampBatch in stamp-batch.ts builds these), and who made them do it. */

/** Who or what gave stamps: an order event or a staff confirmation. Goes into the ledger metadata. */
export type StampTrigger =
  | { kind: "order"; eventId: string; orderId: string }
  | { kind: "confirmation"; confirmationId: string; staffId: string; staffName: string; store: string | null };

/** What a full card gave: a redemption of the card's reward (with its code), or points. */
export interface StampRewardGiven {
  sequence: number;
  completionId: string;
  transactionId: string;
  redemptionId?: string;
  code?: string | null;
  partnerCode?: string | null;
  points?: number;
}

/** What an order or a staff confirmation did on one card (`effects.stamps` of an event). */
export interface StampEffect {
  cardId: string;
  added: number;
  /** Stamps on the card afterwards (after any completion). */
  balance: number;
  completed: number;
  rewards: StampRewardGiven[];
  transactionId?: string;
  expiresAt?: string | null;
  /** A limit cut the stamps: which one. */
  limitedBy?: string;
  /** The card is full but its reward cannot be given now (REWARD_OUT_OF_STOCK, REWARD_NOT_AVAILABLE): the stamps wait on the card. */
  rewardUnavailable?: string;
}

/** Stamps a refund took back from one card (`effects.stampsTakenBack`). */
export interface StampTakeBack {
  cardId: string;
  stamps: number;
  balance: number;
  transactionId: string;
}
