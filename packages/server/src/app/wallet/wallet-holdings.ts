import { sql } from "drizzle-orm";
import { applyPlan, planSettle, pushTo, type Asset, type Holdings } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { holdingKey, loadLots, type HoldingKey } from "../../db/ledger-repo.ts";
import { textArray } from "../../db/sql-arrays.ts";

/**
 * Holdings as of `now`, read without locks (for views and evaluations): lots whose pending period or
 * expiry has passed are shown released or expired before the settlement run writes it (the same
 * core `planSettle`, applied in memory). Missing balances read as zero. Keyed by holdingKey.
 */
export async function readHoldings(ex: Executor, programId: string, keys: readonly HoldingKey[], now: Date): Promise<Map<string, Holdings>> {
  const out = new Map<string, Holdings>();
  if (keys.length === 0) return out;
  const balances = await rows<{ customer_id: string; asset: string; available: number; pending: number }>(
    ex,
    sql`select customer_id, asset, available::float8 as available, pending::float8 as pending from account_balances
         where program_id = ${programId} and customer_id = any(${textArray([...new Set(keys.map((k) => k.customerId))])})
           and (customer_id, asset) in (select * from unnest(${textArray(keys.map((k) => k.customerId))}, ${textArray(keys.map((k) => k.asset))}))`,
  );
  const byKey = new Map(balances.map((b) => [holdingKey(b.customer_id, b.asset as Asset), b]));
  const byAsset = new Map<Asset, string[]>();
  for (const k of keys) pushTo(byAsset, k.asset, k.customerId);
  const lots = new Map<string, Holdings["lots"]>();
  for (const [asset, ids] of byAsset) {
    for (const l of await loadLots(ex, programId, ids, asset)) pushTo(lots, holdingKey(l.customerId, asset), l);
  }
  for (const k of keys) {
    const key = holdingKey(k.customerId, k.asset);
    const b = byKey.get(key);
    const stored: Holdings = { customerId: k.customerId, asset: k.asset, available: Number(b?.available ?? 0), pending: Number(b?.pending ?? 0), lots: lots.get(key) ?? [] };
    out.set(key, applyPlan(stored, planSettle(stored, now)));
  }
  return out;
}
