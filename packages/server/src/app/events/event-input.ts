import type { DomainError, OrderLine, TraceEntry } from "@patron/core";
import type { CustomerInput } from "../customers/customer.ts";
import type { Attribution, SignupReferral } from "../referrals/attribute-referral.ts";
import type { TierEffect } from "../tiers/tier-batch.ts";
import type { ReferralEffect } from "../referrals/referral-batch.ts";
import type { StampEffect, StampTakeBack } from "../stamps/stamp-effects.ts";
import type { WalletClawedBack } from "./refund-clawbacks.ts";

interface Envelope {
  /** The sender's id for this event: unique per program, forever. */
  id: string;
  /** The store's id of the customer. Unknown customers are created. */
  customerId: string;
  /** Business time; defaults to when Patron receives it. */
  occurredAt?: Date | undefined;
}

export interface OrderCompletedData {
  orderId: string;
  currency: string;
  lines: OrderLine[];
  discount?: number | undefined;
  shipping?: number | undefined;
  tax?: number | undefined;
  total?: number | undefined;
  channel?: string | undefined;
  store?: string | undefined;
  /** Reward codes used on the order: the customer's issued redemptions are marked used. */
  codes?: string[] | undefined;
}

export interface OrderRefundedData {
  orderId: string;
  refundId: string;
  /** A refund by amount (minor units); or by `lines`; neither means the rest of the order. */
  amount?: number | undefined;
  lines?: { sku: string; quantity: number }[] | undefined;
}

export type EventInput =
  | (Envelope & { type: "customer.signed_up"; data: CustomerInput & { referral?: SignupReferral | undefined } })
  | (Envelope & { type: "order.completed"; data: OrderCompletedData })
  | (Envelope & { type: "order.refunded"; data: OrderRefundedData })
  | (Envelope & { type: "custom"; name: string; data: Record<string, unknown> })
  /** Sent by Patron's birthday job (or by the store): `on` is "day" or "month_start". */
  | (Envelope & { type: "customer.birthday"; data: { on: "day" | "month_start" } })
  /** Sent by the store once it has verified the review. */
  | (Envelope & { type: "review.submitted"; data: { reviewId: string; rating?: number | undefined; sku?: string | undefined } })
  /** Sent by the store once it has verified the follow or like. */
  | (Envelope & { type: "social.followed"; data: { network: string; action: "follow" | "like" | "share" | "subscribe"; handle?: string | undefined } })
  /**
   * Sent by the store when a customer tops up (buys credit in the store's own system). Runs the rules
   * that listen to it (cashback on top-ups); the top-up itself credits nothing (docs/wallet.md).
   */
  | (Envelope & { type: "wallet.topped_up"; data: WalletToppedUpData });

export interface WalletToppedUpData {
  /** Minor units of the program's currency, at least 1. */
  amount: number;
  currency: string;
  /** The store's id of the top-up, for the record. */
  topUpId?: string | undefined;
}

export interface EventEffects {
  pointsEarned?: number;
  pointsPending?: boolean;
  availableAt?: string | null;
  expiresAt?: string | null;
  pointsClawedBack?: number;
  shortfall?: number;
  refundAmount?: number;
  transactionId?: string;
  /**
   * One entry per rule that gave something, in the order they ran. Kept small (a batch of 1,000 orders
   * with 20 rules answers and stores 20,000 of them): `transactionId`, `pending`, `availableAt` and
   * `expiresAt` appear only where they differ from the event's own fields above, `asset` only when it
   * is not points.
   */
  awards?: { ruleId: string; version: number; name: string; points: number; asset?: string; transactionId?: string; pending?: boolean; availableAt?: string | null; expiresAt?: string | null }[];
  earningSkipped?: "CUSTOMER_BLOCKED" | "EARNING_DISABLED";
  /** The customer's tier went up on this event (and the level's entry points, if any). */
  tier?: TierEffect;
  /** customer.signed_up with `data.referral`: the referral made, or why none (the signup itself is accepted either way). */
  attribution?: Attribution | { error: { code: string; message: string } };
  /** order.completed of a referred friend: the referrer's reward or commission (pending), or why none. */
  referral?: ReferralEffect;
  /** order.completed of a referred friend, with tiers by referrals: the referrer's tier went up at this conversion. */
  referrerTier?: TierEffect & { customerId: string };
  /** order.refunded of a referred friend: the referrer's pending rewards for it cancelled whole (the reward on a refund in full; a commission taken back to nothing). */
  referralRewardsCancelled?: number;
  /** order.refunded of a referred friend: the refunded share of the referrer's pending commission on it, taken back. */
  referralCommissionTakenBack?: { points: number; bonus: number };
  /** order.completed with codes: what became of each. */
  codes?: { code: string; status: "used" | "not_valid"; redemptionId?: string }[];
  /** order.refunded: the share of the wallet credit (bonus, cash) that rules gave for the order, taken back per asset. */
  walletClawedBack?: WalletClawedBack[];
  /** order.refunded that refunds the whole order: the points of rewards used on it, given back. */
  pointsReturned?: number;
  /** order.completed: what each stamp card gave (stamps, completions and their rewards); see docs/stamps.md. */
  stamps?: StampEffect[];
  /** order.refunded: stamps taken back from the cards the order stamped. */
  stampsTakenBack?: StampTakeBack[];
  /** Dry runs only: what each rule did with the event. */
  trace?: TraceEntry[];
}

/** What an accepted event did; stored and returned unchanged on a replay. */
export interface EventAccepted {
  id: string;
  status: "accepted";
  eventId: string;
  type: EventInput["type"];
  customerId: string;
  effects: EventEffects;
}

export type EventResult =
  | (EventAccepted & { replayed: boolean })
  | { id: string; status: "rejected"; replayed: false; error: DomainError };
