import { sql } from "drizzle-orm";
import type { Executor } from "../../db/connect.ts";

/**
 * Serialises the campaign writes of one program: creating, changing and archiving campaigns, and
 * adding bulk codes. Reusable codes live in `campaigns` and bulk codes in `campaign_codes`; each
 * table's unique index stops a duplicate inside it, but nothing stops the same code landing in both
 * from two concurrent transactions. Holding the program row first makes the check-then-insert safe.
 * `no key update` is the lock the campaigns_version bump takes anyway, and it does not block the
 * foreign-key checks of rows that reference the program (new customers, keys).
 */
export async function lockCampaignWrites(tx: Executor, programId: string): Promise<void> {
  await tx.execute(sql`select id from programs where id = ${programId} for no key update`);
}

/**
 * Tells every server process that the program's campaigns changed: each one's campaign cache
 * (campaign-store.ts) compares this number at most every half second and reloads when it moved.
 * Runs in the writing transaction, so the cache never sees the number before the change.
 */
export async function bumpCampaignsVersion(tx: Executor, programId: string): Promise<void> {
  await tx.execute(sql`update programs set campaigns_version = campaigns_version + 1 where id = ${programId}`);
}
