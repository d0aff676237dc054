import type { Asset } from "../ledger/accounts.ts";
import type { Rounding } from "../money/rate.ts";
import type { ExpiryPolicy } from "../earning/policy.ts";

/**
 * An earning rule as the merchant writes it. Rules are versioned: an update writes a new version and
 * every ledger transaction names the rule and the version that produced it.
 */

/** Events a rule can listen to. `custom` rules also name the custom event. */
export const TRIGGER_EVENTS = ["order.completed", "customer.signed_up", "customer.birthday", "review.submitted", "social.followed", "wallet.topped_up", "custom"] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export interface Trigger {
  event: TriggerEvent;
  /** The custom event's name (`custom` only). */
  name?: string | undefined;
  /** `customer.birthday` only: on the birthday itself (default) or on the first day of the birthday month. */
  birthdayOn?: "day" | "month_start" | undefined;
}

/**
 * Which amount a per-amount effect reads: the order's earning base, subtotal or total, or `amount`,
 * the event's own `data.amount` (a `wallet.topped_up` event's top-up).
 */
export type AmountBase = "earning_base" | "subtotal" | "total" | "amount";
export const AMOUNT_BASES = ["earning_base", "subtotal", "total", "amount"] as const satisfies readonly AmountBase[];

export type Effect =
  /** A fixed number of points, or the points worth `worth` money at the program's point value. */
  | { kind: "fixed"; asset: Asset; points?: number | undefined; worth?: number | undefined }
  /** `points` per `per` minor units of the order's amount, rounded as said. */
  | { kind: "per_amount"; asset: Asset; points: number; per: number; rounding: Rounding; base: AmountBase }
  /** `points` per matching line, or per unit of a matching line (by sku or category; no filter matches every line). */
  | { kind: "per_line"; asset: Asset; points: number; per: "quantity" | "line"; skus?: string[] | undefined; categories?: string[] | undefined }
  /**
   * Multiplies what the rules before it (by priority) gave on this event in the same asset, other
   * multipliers excluded: `factor` 2 gives as much again. Multipliers add up, they do not compound.
   */
  | { kind: "multiplier"; asset: Asset; factor: number };

/** When a rule is active, in the program's time zone. Every field present must hold. */
export interface Schedule {
  from?: string | undefined; // an instant (ISO 8601)
  to?: string | undefined; // an instant, exclusive
  daysOfWeek?: number[] | undefined; // 1 = Monday … 7 = Sunday
  daysOfMonth?: number[] | undefined; // 1-31, the calendar day exactly (a 31 never fires in a 30-day month)
  hours?: { from: string; to: string }[] | undefined; // "HH:MM" local, `to` exclusive; "22:00"-"02:00" wraps midnight
}

export const LIMIT_PERIODS = ["day", "week", "month", "year", "lifetime"] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

/** A cap per customer and period, on the number of awards, the points awarded, or both. */
export interface Limit {
  per: LimitPeriod;
  maxAwards?: number | undefined;
  maxPoints?: number | undefined;
}

export interface RuleDefinition {
  name: string;
  trigger: Trigger;
  /** A CEL expression over the documented context; null means always. */
  condition: string | null;
  effect: Effect;
  schedule: Schedule | null;
  limits: Limit[];
  /** A global budget of points for the rule, across all its versions and customers. */
  budget: { points: number } | null;
  /** Null: the program's default. */
  pendingDays: number | null;
  expiry: ExpiryPolicy | null;
  /** Lower runs first. */
  priority: number;
  /** When this rule awards, rules after it are not evaluated for the event. */
  stopFurther: boolean;
}

/** The program's money value of one point, for `worth` effects and liability figures: `points` points are worth `money` minor units. */
export interface PointValue {
  money: number;
  points: number;
}
