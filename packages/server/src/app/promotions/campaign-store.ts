import { and, eq, sql } from "drizzle-orm";
import { compileCondition, failingCondition, pushTo, sortSmall, type CampaignDefinition, type CartInput, type CompiledCampaign, type CompiledCondition, type PromotionEffect } from "@patron/core";
import { rows, type Executor } from "../../db/connect.ts";
import { campaigns } from "../../db/schema.ts";
import { SingleFlight } from "../single-flight.ts";

const ascending = (a: number, b: number) => a - b;

/** How stale a process's view of the campaigns may be: the issue asks for fresh within 1 second. */
const CHECK_MS = 500;

/**
 * The enabled campaigns of one program, compiled, with the indexes a cart evaluation needs: reusable
 * codes, and automatic campaigns by the skus and categories they can act on (those that can act on
 * any cart are in `always`). A request never scans every campaign nor reads them from the database.
 */
export class ProgramCampaigns {
  readonly byId = new Map<string, CompiledCampaign>();
  readonly byCode = new Map<string, CompiledCampaign>();
  /** Automatic campaigns that can act on any cart, in evaluation order. */
  readonly always: CompiledCampaign[] = [];
  /**
   * Every automatic campaign in the order evaluateCart considers them (priority, then id), so the
   * lists handed to it need no sorting; the indexes below hold places in this list.
   */
  private readonly ordered: CompiledCampaign[];
  private readonly alwaysAt: number[] = [];
  private readonly bySku = new Map<string, number[]>();
  private readonly byCategory = new Map<string, number[]>();
  /** seen[k] === stamp: campaign k is already in the list being built (no Set per request). */
  private readonly seen: Uint32Array;
  private stamp = 0;

  constructor(
    readonly version: number,
    list: CompiledCampaign[],
  ) {
    for (const c of list) {
      this.byId.set(c.id, c);
      if (c.def.kind === "code" && c.def.code) this.byCode.set(c.def.code, c);
    }
    this.ordered = list.filter((c) => c.def.kind === "automatic").sort(evaluationOrder);
    this.seen = new Uint32Array(this.ordered.length);
    this.ordered.forEach((c, k) => {
      const keys = lineKeys(c.def.effects);
      if (!keys) {
        this.always.push(c);
        this.alwaysAt.push(k);
        return;
      }
      for (const s of keys.skus) pushTo(this.bySku, s, k);
      for (const cat of keys.categories) pushTo(this.byCategory, cat, k);
    });
  }

  /** The automatic campaigns that could act on this cart, each once, in evaluation order. Read only: it may be shared. */
  automaticFor(cart: CartInput): readonly CompiledCampaign[] {
    if (this.bySku.size === 0 && this.byCategory.size === 0) return this.always;
    const stamp = this.nextStamp();
    const hits: number[] = [];
    for (const l of cart.lines) {
      this.collect(this.bySku.get(l.sku), stamp, hits);
      if (l.category) this.collect(this.byCategory.get(l.category), stamp, hits);
    }
    if (hits.length === 0) return this.always;
    sortSmall(hits, ascending);
    // Merge the two ordered lists (a campaign is either in `always` or indexed, never both).
    const out: CompiledCampaign[] = [];
    let i = 0;
    let j = 0;
    while (i < this.alwaysAt.length || j < hits.length) {
      const k = j >= hits.length || (i < this.alwaysAt.length && this.alwaysAt[i]! < hits[j]!) ? this.alwaysAt[i++]! : hits[j++]!;
      out.push(this.ordered[k]!);
    }
    return out;
  }

  private collect(places: readonly number[] | undefined, stamp: number, hits: number[]): void {
    if (!places) return;
    for (const k of places) {
      if (this.seen[k] === stamp) continue;
      this.seen[k] = stamp;
      hits.push(k);
    }
  }

  private nextStamp(): number {
    if (this.stamp === 0xffff_ffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

/** evaluateCart's order: lower priority first, ties by id. */
const evaluationOrder = (a: CompiledCampaign, b: CompiledCampaign) => a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The skus and categories a campaign's effects can reach, when every effect acts only on lines named
 * by a filter (so a cart without them gets nothing from it); null when some effect can act on any
 * cart (order discounts, gifts, points, shipping, a line effect without a filter).
 */
function lineKeys(effects: readonly PromotionEffect[]): { skus: Set<string>; categories: Set<string> } | null {
  const skus = new Set<string>();
  const categories = new Set<string>();
  const add = (f: { skus?: string[] | undefined; categories?: string[] | undefined }) => {
    if (!f.skus?.length && !f.categories?.length) return false;
    for (const s of f.skus ?? []) skus.add(s);
    for (const c of f.categories ?? []) categories.add(c);
    return true;
  };
  for (const e of effects) {
    if (e.kind === "lines_percent" || e.kind === "lines_fixed") {
      if (!add(e.filter)) return null;
    } else if (e.kind === "bundle") {
      // A bundle needs all its items; indexing by the first item is enough to find it.
      if (!add(e.items[0]!.filter)) return null;
    } else if (e.kind === "buy_x_get_y") {
      if (!add(e.buy.filter)) return null;
    } else return null;
  }
  return { skus, categories };
}

/** Compiles a saved campaign. Saved conditions were checked when saved; one that no longer compiles never matches. */
export function compileCampaign(id: string, version: number, def: CampaignDefinition): CompiledCampaign {
  return { id, version, def, audience: compileSaved(def.audience), condition: compileSaved(def.condition) };
}

function compileSaved(source: string | null): CompiledCondition | null {
  if (source === null) return null;
  const c = compileCondition(source);
  if (c.ok) return c.value;
  return failingCondition(source, c.error.message, true);
}

/**
 * Compiled campaigns per program, cached in memory. Every campaign change bumps
 * `programs.campaigns_version` in its transaction; a process checks that number at most every
 * CHECK_MS and reloads when it moved, so a change made anywhere applies everywhere within a second.
 * Unchanged campaigns (same id and version) keep their compiled form across reloads.
 */
export class CampaignStore {
  private cache = new Map<string, { checkedAt: number; loaded: ProgramCampaigns }>();
  private checks = new SingleFlight<ProgramCampaigns>();

  invalidate(programId: string): void {
    this.cache.delete(programId);
    this.checks.forget();
  }

  async active(ex: Executor, programId: string): Promise<ProgramCampaigns> {
    const hit = this.cache.get(programId);
    if (hit && performance.now() - hit.checkedAt < CHECK_MS) return hit.loaded;
    return this.checks.run(ex, programId, () => this.check(ex, programId));
  }

  /** Reads the program's campaigns version and reloads what changed. */
  private async check(ex: Executor, programId: string): Promise<ProgramCampaigns> {
    const now = performance.now();
    const hit = this.cache.get(programId);
    const [v] = await rows<{ v: number }>(ex, sql`select campaigns_version::float8 as v from programs where id = ${programId}`);
    const version = Number(v?.v ?? 0);
    if (hit && hit.loaded.version === version) {
      hit.checkedAt = now;
      return hit.loaded;
    }
    const rs = await ex
      .select({ id: campaigns.id, version: campaigns.version, definition: campaigns.definition })
      .from(campaigns)
      .where(and(eq(campaigns.programId, programId), eq(campaigns.status, "enabled")));
    const list = rs.map((r) => {
      const had = hit?.loaded.byId.get(r.id);
      return had && had.version === r.version ? had : compileCampaign(r.id, r.version, r.definition as CampaignDefinition);
    });
    const loaded = new ProgramCampaigns(version, list);
    this.cache.set(programId, { checkedAt: now, loaded });
    return loaded;
  }
}
