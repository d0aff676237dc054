import { sql } from "drizzle-orm";
import { normalizeReferralCode, referralCode } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor } from "../../db/connect.ts";

export interface ReferralCodeRow {
  code: string;
  display: string;
  customerId: string;
}

/**
 * The customer's referral code, made on first ask: the first name and four characters
 * ("ANNA-7K3Q"), stable for ever. A collision (one in 29^4 among namesakes) draws again; after a few
 * tries the code goes without the name (eight characters).
 */
export async function ensureReferralCode(ctx: AppContext, ex: Executor, programId: string, customer: { id: string; name: string | null }): Promise<ReferralCodeRow> {
  const existing = await rows<{ code: string; display: string }>(ex, sql`select code, display from referral_codes where program_id = ${programId} and customer_id = ${customer.id}`);
  if (existing[0]) return { code: existing[0].code, display: existing[0].display, customerId: customer.id };
  for (let attempt = 0; attempt < 8; attempt++) {
    const display = referralCode(customer.name, ctx.secrets.randomBytes(16), attempt < 5);
    const code = normalizeReferralCode(display)!;
    const inserted = await rows<{ code: string }>(
      ex,
      sql`insert into referral_codes (program_id, code, display, customer_id, created_at) values (${programId}, ${code}, ${display}, ${customer.id}, ${ctx.clock.now().toISOString()}::timestamptz)
          on conflict do nothing returning code`,
    );
    if (inserted.length > 0) return { code, display, customerId: customer.id };
    // Another request made this customer's code meanwhile: that one stands.
    const raced = await rows<{ code: string; display: string }>(ex, sql`select code, display from referral_codes where program_id = ${programId} and customer_id = ${customer.id}`);
    if (raced[0]) return { code: raced[0].code, display: raced[0].display, customerId: customer.id };
  }
  throw new Error("could not draw a free referral code in 8 attempts");
}

/** The referrer of a code as typed, or null. */
export async function findReferralCode(ex: Executor, programId: string, typed: string): Promise<ReferralCodeRow | null> {
  const code = normalizeReferralCode(typed);
  if (!code) return null;
  const [r] = await rows<{ code: string; display: string; customer_id: string }>(ex, sql`select code, display, customer_id from referral_codes where program_id = ${programId} and code = ${code}`);
  return r ? { code: r.code, display: r.display, customerId: r.customer_id } : null;
}
