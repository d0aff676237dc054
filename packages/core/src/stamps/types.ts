import type { ExpiryPolicy } from "../earning/policy.ts";
import type { LimitPeriod } from "../rules/types.ts";
import type { CompiledCondition } from "../rules/cel.ts";

/**
 * Stamp cards: N stamps for qualifying purchases, then a reward, and the card starts again keeping any
 * extra stamps. Stamps are a ledger asset per card (`stamps:{cardId}`), integers like points, with
 * expiry and per-period limits; several cards run side by side, each on its own asset.
 */

/** How many stamps a qualifying order gives: one per qualifying unit, per qualifying line, or one per order. */
export const STAMP_PER = ["unit", "line", "order"] as const;
export type StampPer = (typeof STAMP_PER)[number];

/** The most stamps a card may need. */
export const MAX_STAMPS_PER_CARD = 1000;

/** At most `maxStamps` stamps per customer on this card in each period (on the program's calendar). */
export interface StampLimit {
  per: LimitPeriod;
  maxStamps: number;
}

/**
 * What a full card gives: a catalogue reward issued for 0 points (its code, partner code or fulfilment,
 * as a redemption: "10th coffee free" is a free_product reward), or points.
 */
export type StampReward = { kind: "reward"; rewardId: string } | { kind: "points"; points: number };

/** A stamp card as the merchant writes it. */
export interface StampCardDefinition {
  name: string;
  description?: string | null | undefined;
  /** Stamps that fill the card (2 to 1000). */
  stamps: number;
  /**
   * A CEL condition over one order line (`line.sku`, `line.category`, `line.quantity`, `line.unitPrice`,
   * `line.net`, `line.weight`, `line.name`), which may also read `order`, `now` and `local`; null: every line qualifies.
   */
  qualifying: string | null;
  per: StampPer;
  /** The most stamps one order (or one staff confirmation) gives; null: no cap. */
  maxPerOrder?: number | null | undefined;
  limits: StampLimit[];
  /** When stamps expire, counted from when each was given; `never` by default. */
  expiry: ExpiryPolicy;
  reward: StampReward;
}

/** A card ready to run: its id, definition and compiled condition (null: every line qualifies). */
export interface CompiledStampCard {
  id: string;
  def: StampCardDefinition;
  condition: CompiledCondition | null;
}
