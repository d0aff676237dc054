import type { ExpiryPolicy, StampCardDefinition, StampLimit, StampPer, StampReward } from "@patron/core";
import type { stampCards } from "../../db/schema.ts";

export type StampCardStatus = "enabled" | "disabled" | "archived";
export const STAMP_CARD_STATUSES = ["enabled", "disabled", "archived"] as const satisfies readonly StampCardStatus[];

/** A stamp card as the API shows it: its definition, flattened. */
export interface StampCard {
  id: string;
  status: StampCardStatus;
  name: string;
  description: string | null;
  stamps: number;
  qualifying: string | null;
  per: StampPer;
  maxPerOrder: number | null;
  limits: StampLimit[];
  expiry: ExpiryPolicy;
  reward: StampReward;
  createdAt: string;
  updatedAt: string;
}

/** The definition as stored: absent optional fields as null, so the stored JSON has one shape. */
export function normaliseStampCard(def: StampCardDefinition): StampCardDefinition {
  return {
    name: def.name, description: def.description ?? null, stamps: def.stamps, qualifying: def.qualifying ?? null, per: def.per, maxPerOrder: def.maxPerOrder ?? null,
    limits: def.limits ?? [], expiry: def.expiry ?? { kind: "never" }, reward: def.reward,
  };
}

export function toStampCard(r: typeof stampCards.$inferSelect): StampCard {
  const d = r.definition as StampCardDefinition;
  return {
    id: r.id, status: r.status as StampCardStatus, name: d.name, description: d.description ?? null, stamps: d.stamps, qualifying: d.qualifying, per: d.per, maxPerOrder: d.maxPerOrder ?? null,
    limits: d.limits, expiry: d.expiry, reward: d.reward, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}
