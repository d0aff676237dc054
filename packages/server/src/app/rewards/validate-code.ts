import { sql } from "drizzle-orm";
import { normalizeCode, rewardDiscount, type Cart, type RewardConfig, type RewardKind } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import type { Program } from "../programs/program.ts";

export type Validation =
  | { valid: true; redemptionId: string; customerId: string; reward: { name: string; kind: RewardKind }; discount: number; currency: string }
  | { valid: false; reason: "CODE_NOT_VALID" | "MIN_ORDER_NOT_MET" | "PRODUCT_NOT_IN_CART"; message: string };

/** The one answer for every code that cannot be used: unknown, used, expired, cancelled, or someone else's. */
const NOT_VALID: Validation = { valid: false, reason: "CODE_NOT_VALID", message: "This code is not valid." };

/**
 * Checks a reward code against a cart without using it: the discount it gives, or why not. A code
 * that cannot be used for any reason gets the same answer, so the endpoint tells a guesser nothing;
 * only the holder of a live code learns that the cart does not qualify. Nothing is written.
 */
export async function validateCode(ex: Executor, program: Program, input: { code: string; customerId?: string | undefined; cart: Cart }, now: Date): Promise<Validation> {
  const code = normalizeCode(input.code);
  if (code === null) return NOT_VALID;
  const [r] = await rows<{ id: string; status: string; expires_at: string | Date | null; reward: { name: string; kind: RewardKind; config: RewardConfig; minOrder: number | null } | string; external_id: string }>(
    ex,
    sql`select r.id, r.status, r.expires_at, r.reward, c.external_id from redemptions r join customers c on c.id = r.customer_id
         where r.program_id = ${program.id} and r.code = ${code}`,
  );
  if (!r || r.status !== "issued" || (r.expires_at !== null && new Date(r.expires_at).getTime() <= now.getTime())) return NOT_VALID;
  if (input.customerId !== undefined && input.customerId !== r.external_id) return NOT_VALID;
  const reward = typeof r.reward === "string" ? (JSON.parse(r.reward) as Exclude<typeof r.reward, string>) : r.reward;
  const d = rewardDiscount(reward.kind, reward.config, reward.minOrder, input.cart);
  if (!d.ok) {
    if (d.reason === "MIN_ORDER_NOT_MET") return { valid: false, reason: d.reason, message: `This code needs an order of at least ${reward.minOrder} (minor units) of merchandise.` };
    if (d.reason === "PRODUCT_NOT_IN_CART") return { valid: false, reason: d.reason, message: `This code gives a free ${reward.config.sku}; add it to the cart.` };
    return NOT_VALID;
  }
  return { valid: true, redemptionId: r.id, customerId: r.external_id, reward: { name: reward.name, kind: reward.kind }, discount: d.amount, currency: program.currency };
}
