import type { LimitPeriod, RewardConfig, RewardKind } from "@patron/core";
import type { rewards, redemptions } from "../../db/schema.ts";

export type RewardStatus = "enabled" | "disabled" | "archived";

/** Kinds used at checkout: a redemption of one carries our code, typed in at the till or the cart. */
export const AT_CHECKOUT: ReadonlySet<string> = new Set<RewardKind>(["fixed_discount", "percent_discount", "free_product", "free_shipping"]);

/** A reward of the catalogue, as the API shows it. */
export interface Reward {
  id: string;
  name: string;
  description: string | null;
  kind: RewardKind;
  config: RewardConfig;
  cost: number;
  minOrder: number | null;
  validDays: number | null;
  activeFrom: string | null;
  activeTo: string | null;
  stock: number | null;
  issued: number;
  /** Left to redeem: stock minus issued, or the free codes of a partner pool; null: unlimited. */
  available: number | null;
  perCustomer: { max: number; per: LimitPeriod } | null;
  condition: string | null;
  status: RewardStatus;
  createdAt: string;
  updatedAt: string;
}

export function toReward(r: typeof rewards.$inferSelect, freeCodes: number | null): Reward {
  const stockLeft = r.stock === null ? null : Math.max(0, r.stock - r.issued);
  const available = r.kind === "partner_coupon" ? (stockLeft === null ? freeCodes : Math.min(stockLeft, freeCodes ?? 0)) : stockLeft;
  return {
    id: r.id, name: r.name, description: r.description, kind: r.kind as RewardKind, config: r.config as RewardConfig, cost: r.cost, minOrder: r.minOrder, validDays: r.validDays,
    activeFrom: r.activeFrom?.toISOString() ?? null, activeTo: r.activeTo?.toISOString() ?? null, stock: r.stock, issued: r.issued, available,
    perCustomer: r.perCustomer as Reward["perCustomer"], condition: r.condition, status: r.status as RewardStatus, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

export type RedemptionStatus = "issued" | "used" | "expired" | "cancelled";

export interface Redemption {
  id: string;
  rewardId: string;
  reward: { name: string; kind: RewardKind; config: RewardConfig; minOrder: number | null };
  customerId: string;
  points: number;
  /** `expired` is shown as soon as the date has passed, whether or not a job has marked it. */
  status: RedemptionStatus;
  /** Shown in groups (XXXX-XXXX-XXXX); type it any way at checkout. */
  code: string | null;
  partnerCode: string | null;
  fulfilment: string | null;
  /** Null for a reward given at no cost (a tier's entry reward). */
  transactionId: string | null;
  returnTransactionId: string | null;
  /** The business key of a reward given for free (a tier's entry reward, a full stamp card's reward); null when bought. */
  reference: string | null;
  usedOrderId: string | null;
  usedAt: string | null;
  expiresAt: string | null;
  createdAt: string;
}

export function toRedemption(r: typeof redemptions.$inferSelect, customerExternalId: string, now: Date, format: (code: string) => string): Redemption {
  const expired = r.status === "issued" && r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime();
  return {
    id: r.id, rewardId: r.rewardId, reward: r.reward as Redemption["reward"], customerId: customerExternalId, points: r.points,
    status: expired ? "expired" : (r.status as RedemptionStatus), code: r.code ? format(r.code) : null, partnerCode: r.partnerCode, fulfilment: r.fulfilment,
    transactionId: r.transactionId, returnTransactionId: r.returnTransactionId, reference: r.reference, usedOrderId: r.usedOrderId, usedAt: r.usedAt?.toISOString() ?? null,
    expiresAt: r.expiresAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString(),
  };
}
