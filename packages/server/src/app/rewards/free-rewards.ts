import { and, eq, sql, type SQL } from "drizzle-orm";
import { formatCode } from "@patron/core";
import type { AppContext } from "../context.ts";
import { rows, type Executor, type Tx } from "../../db/connect.ts";
import { textArray } from "../../db/sql-arrays.ts";
import { rewards } from "../../db/schema.ts";
import { AT_CHECKOUT } from "./reward.ts";

/**
 * Catalogue rewards given for 0 points: a full stamp card's reward (stamps/stamp-batch.ts) and a tier
 * level's entry reward (tiers/tier-batch.ts, tiers/set-tier.ts). One instance per database
 * transaction, shared by every giver in it, so the redemptions, the rewards' issued counts and the
 * partner codes go into one set of CTEs of the caller's write statement.
 *
 * Stock is counted under the reward rows' locks, taken in id order as redeemReward takes them, and
 * partner codes are drawn with SKIP LOCKED, so concurrent transactions never oversell or share a code.
 * A reward given for free is not bought: its status (a disabled reward is the usual card reward),
 * dates, condition and per-customer limit do not apply; only an archived or missing reward, an empty
 * stock or pool stop it.
 */
export class FreeRewards {
  private readonly states = new Map<string, RewardState>();
  private readonly redemptions: Record<string, unknown>[] = [];
  private readonly poolUsed: { reward_id: string; code: string; redemption_id: string }[] = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly programId: string,
  ) {}

  /**
   * Locks the rows of these rewards (those this transaction has not locked yet) and draws up to
   * `wanted` more free codes of each partner coupon. Call after the balances and any redemption rows
   * the transaction locks, as every writer does. Ingest calls it twice (full cards before its events
   * are decided, tier levels reached after): two batches that lock one reward in different calls can
   * deadlock, which inTransaction retries; it takes one reward that is both a card's and a level's.
   */
  async lock(tx: Tx, wanted: ReadonlyMap<string, number>): Promise<void> {
    const fresh = [...wanted.keys()].filter((id) => !this.states.has(id)).sort();
    if (fresh.length > 0) {
      const rs = await rows<RewardRow>(
        tx,
        sql`select id, name, kind, config, min_order::float8 as min_order, valid_days, stock, issued, status from rewards
             where program_id = ${this.programId} and id = any(${textArray(fresh)}) order by id for update`,
      );
      for (const id of fresh) this.states.set(id, { row: null, issuedNow: 0, pool: [], drawn: [] });
      for (const r of rs) {
        const row = { ...r, config: typeof r.config === "string" ? JSON.parse(r.config) : r.config, min_order: r.min_order === null ? null : Number(r.min_order), issued: Number(r.issued) };
        this.states.set(r.id, { row, issuedNow: 0, pool: [], drawn: [] });
      }
    }
    for (const [id, n] of wanted) {
      const state = this.states.get(id)!;
      if (state.row?.kind !== "partner_coupon" || state.pool.length >= n) continue;
      // Codes this transaction drew already are locked by it, and SKIP LOCKED only skips other transactions' locks.
      const free = await rows<{ code: string }>(
        tx,
        sql`select code from reward_pool_codes where reward_id = ${id} and redemption_id is null and code <> all(${textArray(state.drawn)})
             order by code limit ${n - state.pool.length} for update skip locked`,
      );
      for (const f of free) {
        state.pool.push(f.code);
        state.drawn.push(f.code);
      }
    }
  }

  /** Whether lock() has seen this reward. */
  has(rewardId: string): boolean {
    return this.states.has(rewardId);
  }

  /** How many more of a locked reward this transaction can give, and why none when none. */
  availability(rewardId: string): { left: number; reason: Unavailable | null } {
    const state = this.states.get(rewardId);
    if (!state) throw new Error(`reward ${rewardId} was not locked before asking for it`);
    const r = state.row;
    if (!r || r.status === "archived" || !ISSUABLE.has(r.kind)) return { left: 0, reason: "REWARD_NOT_AVAILABLE" };
    let left = r.stock === null ? Number.POSITIVE_INFINITY : r.stock - r.issued - state.issuedNow;
    if (r.kind === "partner_coupon") left = Math.min(left, state.pool.length);
    return left > 0 ? { left, reason: null } : { left: 0, reason: "REWARD_OUT_OF_STOCK" };
  }

  /**
   * Gives one of a locked reward to a customer: a redemption for 0 points with its own code (rewards
   * used at checkout), a partner code, or a pending fulfilment (physical gifts). `reference` is its
   * business key, unique per program forever. Returns why not when it cannot be given now.
   */
  give(rewardId: string, x: { customerId: string; transactionId: string | null; reference: string; now: Date }): FreeRewardGiven | { unavailable: Unavailable } {
    const { reason } = this.availability(rewardId);
    if (reason) return { unavailable: reason };
    const state = this.states.get(rewardId)!;
    const r = state.row!;
    const id = this.ctx.ids.next("red");
    const code = AT_CHECKOUT.has(r.kind) ? this.ctx.secrets.rewardCode() : null;
    const partnerCode = r.kind === "partner_coupon" ? state.pool.shift()! : null;
    state.issuedNow += 1;
    if (partnerCode !== null) this.poolUsed.push({ reward_id: r.id, code: partnerCode, redemption_id: id });
    this.redemptions.push({
      id, customer_id: x.customerId, reward_id: r.id, reward: { name: r.name, kind: r.kind, config: r.config, minOrder: r.min_order }, code, partner_code: partnerCode,
      fulfilment: r.kind === "physical_gift" ? "pending" : null, transaction_id: x.transactionId, reference: x.reference,
      // Valid from when it is issued (now), as a redemption bought with points is.
      expires_at: r.valid_days ? new Date(x.now.getTime() + r.valid_days * 86_400_000).toISOString() : null,
    });
    return { rewardId: r.id, redemptionId: id, code: code ? formatCode(code) : null, ...(partnerCode !== null ? { partnerCode } : {}) };
  }

  /** The redemptions, the rewards' issued counts and the pool codes given, as CTEs of the caller's write statement. */
  ctes(now: Date): SQL[] {
    if (this.redemptions.length === 0) return [];
    const pid = this.programId;
    const at = now.toISOString();
    const j = (v: unknown) => JSON.stringify(v);
    const issued = [...this.states.entries()].filter(([, s]) => s.issuedNow > 0).map(([id, s]) => ({ id, n: s.issuedNow }));
    const out = [
      sql`free_red as (
        insert into redemptions (id, program_id, customer_id, reward_id, reward, points, status, code, partner_code, fulfilment, transaction_id, return_transaction_id, reference, used_order_id, used_at, expires_at, created_at, updated_at)
        select x.id, ${pid}, x.customer_id, x.reward_id, x.reward, 0, 'issued', x.code, x.partner_code, x.fulfilment, x.transaction_id, null, x.reference, null, null, x.expires_at, ${at}::timestamptz, ${at}::timestamptz
          from jsonb_to_recordset(${j(this.redemptions)}::jsonb) as x(id text, customer_id text, reward_id text, reward jsonb, code text, partner_code text, fulfilment text, transaction_id text, reference text, expires_at timestamptz))`,
      sql`free_rwd as (
        update rewards set issued = rewards.issued + x.n, updated_at = ${at}::timestamptz
          from jsonb_to_recordset(${j(issued)}::jsonb) as x(id text, n int)
         where rewards.id = x.id and rewards.program_id = ${pid})`,
    ];
    if (this.poolUsed.length > 0) {
      out.push(sql`free_pool as (
        update reward_pool_codes set redemption_id = x.redemption_id
          from jsonb_to_recordset(${j(this.poolUsed)}::jsonb) as x(reward_id text, code text, redemption_id text)
         where reward_pool_codes.reward_id = x.reward_id and reward_pool_codes.code = x.code
           and reward_pool_codes.reward_id = any(${textArray([...new Set(this.poolUsed.map((u) => u.reward_id))])}) and reward_pool_codes.code = any(${textArray(this.poolUsed.map((u) => u.code))}))`);
    }
    return out;
  }
}

/** What a reward given for free gave: its redemption, and its code (shown in groups) or partner code. */
export interface FreeRewardGiven {
  rewardId: string;
  redemptionId: string;
  code: string | null;
  partnerCode?: string;
}

export type Unavailable = "REWARD_NOT_AVAILABLE" | "REWARD_OUT_OF_STOCK";

/**
 * Kinds a reward given for free can be: everything but a wallet credit, which would move money into
 * the wallet (a redemption alone would give the customer nothing). Give wallet money with a rule.
 */
const ISSUABLE = new Set(["fixed_discount", "percent_discount", "free_product", "free_shipping", "partner_coupon", "physical_gift"]);

/**
 * What only the database knows about a reward to be given for free (a stamp card's or a tier level's):
 * it is in this program's catalogue, not archived, and of a kind that can be given. Null when it can
 * be; else a message and the reason, for the caller's own error (STAMP_CARD_INVALID, TIERS_INVALID).
 */
export async function checkFreeReward(ex: Executor, programId: string, rewardId: string): Promise<{ message: string; reason: "not_found" | "archived" | "kind" } | null> {
  const [r] = await ex.select({ status: rewards.status, kind: rewards.kind }).from(rewards).where(and(eq(rewards.programId, programId), eq(rewards.id, rewardId)));
  if (!r) return { message: `"${rewardId}" is not a reward of this program's catalogue.`, reason: "not_found" };
  if (r.status === "archived") return { message: `Reward "${rewardId}" is archived.`, reason: "archived" };
  if (!ISSUABLE.has(r.kind)) return { message: `Reward "${rewardId}" is a ${r.kind}, which cannot be given for free (only ${[...ISSUABLE].join(", ")}); give wallet money with an earning rule instead.`, reason: "kind" };
  return null;
}

interface RewardRow {
  id: string;
  name: string;
  kind: string;
  config: unknown;
  min_order: number | null;
  valid_days: number | null;
  stock: number | null;
  issued: number;
  status: string;
}

interface RewardState {
  row: RewardRow | null;
  issuedNow: number;
  /** Free partner codes drawn and not given yet. */
  pool: string[];
  /** Every code drawn by this transaction. */
  drawn: string[];
}
