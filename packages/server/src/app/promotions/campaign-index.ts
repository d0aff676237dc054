import {
  audienceKey, compileCondition, failingCondition, meetsAudienceKey, pushTo, sortSmall, type AudienceKey, type CampaignDefinition, type CartInput, type CelCustomer,
  type CompiledCampaign, type CompiledCondition, type PromotionEffect,
} from "@patron/core";

const ascending = (a: number, b: number) => a - b;

/** What the audience index reads of a customer (a guest has the id ""). */
export type AudienceOf = Pick<CelCustomer, "id" | "tier" | "tags">;

/**
 * The enabled campaigns of one program, compiled, with the indexes a cart evaluation needs: reusable
 * codes, and automatic campaigns by the skus and categories they can act on and by the audience they
 * are for (a tag, a tier, members: `audienceKey`). A request never scans every campaign nor reads
 * them from the database; a cart meets only the campaigns for what it holds and who its customer is.
 */
export class ProgramCampaigns {
  readonly byId = new Map<string, CompiledCampaign>();
  readonly byCode = new Map<string, CompiledCampaign>();
  /**
   * Every automatic campaign in the order evaluateCart considers them (priority, then id), so the
   * lists handed to it need no sorting; the indexes below hold places in this list.
   */
  private readonly ordered: CompiledCampaign[];
  /** Each campaign's audience key (null: for anyone, as far as the index can tell). */
  private readonly keys: (AudienceKey | null)[];
  /** Campaigns that can act on any cart (places, and the campaigns themselves): all of them, and those for anyone. */
  private readonly anyCartAt: number[] = [];
  private readonly anyCartAnyoneAt: number[] = [];
  private readonly anyCart: readonly CompiledCampaign[];
  private readonly anyCartAnyone: readonly CompiledCampaign[];
  /** Campaigns that can act on any cart but are for some customers, filed under one thing the key requires. */
  private readonly byTag = new Map<string, number[]>();
  private readonly byTier = new Map<string, number[]>();
  private readonly membersAt: number[] = [];
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
    this.keys = this.ordered.map((c) => audienceKey(c.audience));
    this.seen = new Uint32Array(this.ordered.length);
    this.ordered.forEach((c, k) => {
      const lines = lineKeys(c.def.effects);
      if (lines) {
        for (const s of lines.skus) pushTo(this.bySku, s, k);
        for (const cat of lines.categories) pushTo(this.byCategory, cat, k);
        return;
      }
      this.anyCartAt.push(k);
      const key = this.keys[k];
      if (!key) this.anyCartAnyoneAt.push(k);
      else if (key.tags.length > 0) pushTo(this.byTag, key.tags[0]!, k);
      else if (key.tier !== null) pushTo(this.byTier, key.tier, k);
      else this.membersAt.push(k);
    });
    this.anyCart = this.anyCartAt.map((k) => this.ordered[k]!);
    this.anyCartAnyone = this.anyCartAnyoneAt.map((k) => this.ordered[k]!);
  }

  /**
   * The automatic campaigns that could act on this cart, each once, in evaluation order; with a
   * customer, only those whose audience key the customer meets (without one, for any customer: what
   * may need counting before the customer is read). Read only: it may be shared.
   */
  automaticFor(cart: CartInput, customer?: AudienceOf): readonly CompiledCampaign[] {
    const anyCart = customer ? this.anyCartAnyoneAt : this.anyCartAt;
    const anyCartList = customer ? this.anyCartAnyone : this.anyCart;
    if (this.bySku.size === 0 && this.byCategory.size === 0 && (!customer || this.anyCartAt.length === this.anyCartAnyoneAt.length)) return anyCartList;
    const stamp = this.nextStamp();
    const hits: number[] = [];
    for (const l of cart.lines) {
      this.collect(this.bySku.get(l.sku), stamp, hits, customer);
      if (l.category) this.collect(this.byCategory.get(l.category), stamp, hits, customer);
    }
    if (customer) {
      for (const t of customer.tags) this.collect(this.byTag.get(t), stamp, hits, customer);
      this.collect(this.byTier.get(customer.tier), stamp, hits, customer);
      if (customer.id !== "") this.collect(this.membersAt, stamp, hits, customer);
    }
    if (hits.length === 0) return anyCartList;
    sortSmall(hits, ascending);
    // Merge the two ordered lists (a campaign is either in `anyCart` or among the hits, never both).
    const out: CompiledCampaign[] = [];
    let i = 0;
    let j = 0;
    while (i < anyCart.length || j < hits.length) {
      const k = j >= hits.length || (i < anyCart.length && anyCart[i]! < hits[j]!) ? anyCart[i++]! : hits[j++]!;
      out.push(this.ordered[k]!);
    }
    return out;
  }

  private collect(places: readonly number[] | undefined, stamp: number, hits: number[], customer: AudienceOf | undefined): void {
    if (!places) return;
    for (const k of places) {
      if (this.seen[k] === stamp) continue;
      this.seen[k] = stamp;
      const key = this.keys[k];
      if (customer && key && !meetsAudienceKey(key, customer)) continue;
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
