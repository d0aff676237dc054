import type { CampaignDefinition, CampaignKind, CampaignLimits, PromotionEffect, Schedule, Stacking } from "@patron/core";
import type { campaigns } from "../../db/schema.ts";

export type CampaignStatus = "enabled" | "disabled" | "archived";
export const CAMPAIGN_STATUSES = ["enabled", "disabled", "archived"] as const satisfies readonly CampaignStatus[];

/** How much of a bulk_codes campaign's codes exist and have been used at least once. */
export interface CodeCounts {
  total: number;
  used: number;
}

/** A campaign as the API shows it: its current definition, flattened, with what it has used so far. */
export interface Campaign {
  id: string;
  status: CampaignStatus;
  version: number;
  kind: CampaignKind;
  name: string;
  description: string | null;
  /** The reusable code in its normal form (`code` campaigns); null for the others. */
  code: string | null;
  schedule: Schedule | null;
  audience: string | null;
  condition: string | null;
  effects: PromotionEffect[];
  stacking: Stacking;
  group: string | null;
  priority: number;
  limits: CampaignLimits;
  usage: { redeemed: number; budgetMoneyUsed: number; budgetPointsUsed: number; codes?: CodeCounts };
  createdAt: string;
  updatedAt: string;
}

/**
 * The API shape of a campaign row. The code comes from the definition, not the column: archiving
 * frees the column (so the code can be used again) but the campaign still shows what it was.
 */
export function toCampaign(r: typeof campaigns.$inferSelect, codes: CodeCounts | null): Campaign {
  const d = r.definition as CampaignDefinition;
  return {
    id: r.id, status: r.status as CampaignStatus, version: r.version, kind: r.kind as CampaignKind, name: d.name, description: d.description ?? null, code: d.code ?? null,
    schedule: d.schedule, audience: d.audience, condition: d.condition, effects: d.effects, stacking: d.stacking, group: d.group ?? null, priority: d.priority, limits: d.limits,
    usage: { redeemed: r.redeemed, budgetMoneyUsed: r.budgetMoneyUsed, budgetPointsUsed: r.budgetPointsUsed, ...(r.kind === "bulk_codes" ? { codes: codes ?? { total: 0, used: 0 } } : {}) },
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}
