import type { LimitPeriod, Schedule } from "../rules/types.ts";
import type { OrderLine } from "../earning/order.ts";

/**
 * Promotions: campaigns a store applies at checkout. A campaign is reached through a reusable code,
 * one of its bulk unique codes, or automatically (no code). Money is integer minor units of the
 * program's currency; percentages are numbers with at most two decimals (12.5 is 1250 basis points
 * inside), applied with floor rounding so a discount never exceeds what was promised.
 */

export const CAMPAIGN_KINDS = ["code", "bulk_codes", "automatic"] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

/**
 * How a campaign combines with others on one cart:
 * - `exclusive`: alone;
 * - `stackable`: with every other stackable campaign;
 * - `group`: only with campaigns of the same `group`.
 * When the eligible campaigns cannot all apply, the combination worth most to the customer wins.
 */
export const STACKING_MODES = ["exclusive", "stackable", "group"] as const;
export type Stacking = (typeof STACKING_MODES)[number];

/** Lines an effect reaches: by sku or by category (either matches); no filter reaches every line. */
export interface LineFilter {
  skus?: string[] | undefined;
  categories?: string[] | undefined;
}

export type PromotionEffect =
  /** A percentage off the order's merchandise, with an optional cap in money. */
  | { kind: "order_percent"; percent: number; max?: number | undefined }
  /** A fixed amount off the order's merchandise. */
  | { kind: "order_fixed"; amount: number }
  /**
   * Off matching lines: a percentage, or a fixed amount per unit. `cheapest`: only the N cheapest
   * matching units get it ("the cheapest 2 shirts at 50%").
   */
  | { kind: "lines_percent"; percent: number; filter: LineFilter; cheapest?: number | undefined }
  | { kind: "lines_fixed"; amountPerUnit: number; filter: LineFilter; cheapest?: number | undefined }
  /**
   * A set of products for a set price ("coffee + juice for 50,000"): each application takes `quantity`
   * units of every item; the bundle's units cost `price` together. Never raises a price.
   */
  | { kind: "bundle"; items: { filter: LineFilter; quantity: number }[]; price: number; maxApplications?: number | undefined }
  /**
   * Buy `buy.quantity` matching units, get `get.quantity` matching units at `percent` off (100: free),
   * the cheapest units first, up to `maxApplications` times.
   */
  | { kind: "buy_x_get_y"; buy: { filter: LineFilter; quantity: number }; get: { filter: LineFilter; quantity: number }; percent: number; maxApplications?: number | undefined }
  /** A line to add to the cart, free. */
  | { kind: "gift"; sku: string; name?: string | undefined; quantity: number }
  /** The shipping, or up to `max` of it. */
  | { kind: "free_shipping"; max?: number | undefined }
  /** Points on top of what the order earns. */
  | { kind: "bonus_points"; points: number }
  /** Multiplies what the order earns through the earning rules: 2 gives as much again. */
  | { kind: "points_multiplier"; factor: number }
  /**
   * After the order completes, a personal code of `campaignId` (a bulk_codes campaign), valid
   * `validDays` days. With `percentOfOrder`, the code is worth that share of what this order's
   * merchandise cost after discounts (shipping excluded, rounded down): the target campaign's `order_fixed` effects give the code's value
   * ("10% of this purchase off the next one within 3 months").
   */
  | { kind: "follow_up_code"; campaignId: string; validDays: number; percentOfOrder?: number | undefined }
  /** After the order completes, one code from the pool of a `partner_coupon` reward (a partner's coupon with every tour sold). */
  | { kind: "partner_code"; rewardId: string }
  /**
   * A percentage off the order that grows with what the customer did this period and starts again
   * when the period ends ("5% for members, +1% per lunch this month, up to 15%"): `basePercent`, plus
   * `stepPercent` for every `every` visits (or minor units of spend) of the period's earlier orders
   * that meet `orderCondition` (CEL over `order`), at most `maxPercent`. `progress` is filled in per
   * customer by the caller (the server measures it); without it, the base rate applies.
   */
  | {
      kind: "progressive_percent"; basis: "visits" | "spend"; period: LimitPeriod; orderCondition?: string | null | undefined;
      basePercent: number; stepPercent: number; every: number; maxPercent: number; max?: number | undefined; progress?: number | undefined;
    }
  /**
   * A percentage off the order by the customer's lifetime spend (paid minus refunded): the highest
   * step reached ("from 1,000,000: 3%; from 5,000,000: 5%"). `progress` is filled in by the caller.
   */
  | { kind: "spend_ladder"; steps: { from: number; percent: number }[]; max?: number | undefined; progress?: number | undefined };

export type PromotionEffectKind = PromotionEffect["kind"];

export interface CampaignLimits {
  /** Redemptions across all customers. */
  total?: number | undefined;
  /** Redemptions per customer (members by id, guests by normalised email and phone), per period. */
  perCustomer?: { max: number; per: LimitPeriod } | undefined;
  /** A budget in money (the discount given) or in points (the bonus points given). */
  budget?: { money?: number | undefined; points?: number | undefined } | undefined;
}

/** A campaign as the merchant writes it. */
export interface CampaignDefinition {
  name: string;
  description?: string | null | undefined;
  kind: CampaignKind;
  /** A reusable code (`code` campaigns): how customers type it. */
  code?: string | null | undefined;
  schedule: Schedule | null;
  /** CEL over `customer` (and `now`, `local`): who may use it. Null: everyone, guests included. */
  audience: string | null;
  /** CEL over `cart` (an alias of `order`): which carts qualify. Null: every cart. */
  condition: string | null;
  effects: PromotionEffect[];
  stacking: Stacking;
  /** The stacking group (`group` only). */
  group?: string | null | undefined;
  /** Lower applies first, so later percentages apply to what is left. */
  priority: number;
  limits: CampaignLimits;
}

/** Program-wide guard against stacked offers turning into a loss. */
export interface MarginGuard {
  /** The most all campaigns together may take off the merchandise, as a percentage of the subtotal. */
  maxDiscountPercent?: number | null | undefined;
  /** No line may fall below this percentage of its price. */
  lineFloorPercent?: number | null | undefined;
}

/** An order line before any promotion: the store's price, no discount (Patron computes those). */
export type CartLineInput = Omit<OrderLine, "discount">;

export interface CartInput {
  currency: string;
  lines: CartLineInput[];
  shipping?: number | undefined;
  channel?: string | undefined;
  store?: string | undefined;
}

/** Why a typed code does not apply. Stable forever. */
export const CODE_REFUSALS = [
  "CODE_UNKNOWN",
  "CODE_EXPIRED",
  "CODE_EXHAUSTED",
  "CUSTOMER_LIMIT_REACHED",
  "CONDITION_NOT_MET",
  "NOT_COMBINABLE",
  "BUDGET_EXHAUSTED",
] as const;
export type CodeRefusalReason = (typeof CODE_REFUSALS)[number];
