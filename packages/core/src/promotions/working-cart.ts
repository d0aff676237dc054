import { allocate } from "../money/allocate.ts";
import type { CartInput, LineFilter } from "./types.ts";

/**
 * A cart while campaigns are applied to it: each line's list amount, what is left of it, and how far it
 * may still go down (the program's line floor). Every discount goes through `take`, so no line ever
 * falls below its floor and the per-line adjustments always add up to the discount.
 */
export class WorkingCart {
  readonly gross: number[];
  readonly net: number[];
  readonly floor: number[];
  readonly adjustments: Map<string, number>[];
  shippingLeft: number;

  constructor(
    readonly cart: CartInput,
    lineFloorBps: number,
  ) {
    const n = cart.lines.length;
    this.gross = new Array<number>(n);
    this.net = new Array<number>(n);
    this.floor = new Array<number>(n);
    this.adjustments = new Array(n);
    for (let i = 0; i < n; i++) {
      const l = cart.lines[i]!;
      const g = l.quantity * l.unitPrice;
      this.gross[i] = g;
      this.net[i] = g;
      // The floor is rounded up: a 30% floor on 999 keeps 300, never 299.
      this.floor[i] = lineFloorBps > 0 ? Math.ceil((g * lineFloorBps) / 10_000) : 0;
      this.adjustments[i] = new Map();
    }
    this.shippingLeft = cart.shipping ?? 0;
  }

  room(i: number): number {
    return this.net[i]! - this.floor[i]!;
  }

  /** Takes up to `amount` off line `i` for a campaign; returns what was taken. */
  take(i: number, amount: number, campaignId: string): number {
    const t = Math.min(amount, this.room(i));
    if (t <= 0) return 0;
    this.net[i]! -= t;
    const adj = this.adjustments[i]!;
    adj.set(campaignId, (adj.get(campaignId) ?? 0) + t);
    return t;
  }

  /** Gives back `amount` of a campaign's discount on line `i` (the margin guard's trim). */
  giveBack(i: number, amount: number, campaignId: string): void {
    const adj = this.adjustments[i]!;
    const had = adj.get(campaignId) ?? 0;
    const g = Math.min(had, amount);
    if (g <= 0) return;
    this.net[i]! += g;
    if (had === g) adj.delete(campaignId);
    else adj.set(campaignId, had - g);
  }

  /**
   * Spreads an order-level amount over `lines` in proportion to what is left of them (largest
   * remainder), never past a line's floor: what a capped line cannot take goes to the others.
   * Returns what was taken in all, which is less than `amount` only when the lines have no more room.
   */
  spread(amount: number, lines: readonly number[], campaignId: string): number {
    let left = amount;
    let open = lines.filter((i) => this.room(i) > 0);
    while (left > 0 && open.length > 0) {
      const parts = allocate(left, open.map((i) => this.net[i]!));
      let took = 0;
      for (let k = 0; k < open.length; k++) took += this.take(open[k]!, parts[k]!, campaignId);
      left -= took;
      // Each round either places everything or fills at least one line, so this ends within lines.length rounds.
      if (took === 0) break;
      open = open.filter((i) => this.room(i) > 0);
    }
    return amount - left;
  }

  merchandiseNet(): number {
    let s = 0;
    for (const v of this.net) s += v;
    return s;
  }

  discountOf(campaignId: string): number {
    let s = 0;
    for (const adj of this.adjustments) s += adj.get(campaignId) ?? 0;
    return s;
  }
}

/** Whether a cart line is reached by a filter (no skus and no categories: every line). */
export function matches(filter: LineFilter, sku: string, category: string | undefined): boolean {
  const skus = filter.skus;
  const cats = filter.categories;
  if ((!skus || skus.length === 0) && (!cats || cats.length === 0)) return true;
  if (skus && skus.includes(sku)) return true;
  return cats !== undefined && category !== undefined && cats.includes(category);
}

/** One unit of a line, for effects that price units (cheapest N, buy X get Y, bundles). */
export interface Unit {
  line: number;
  /** Which unit of its line (0-based): line and k name a unit. */
  k: number;
  price: number;
}

/** The units of the lines a filter reaches, cheapest first (ties: earlier line first). */
export function unitsOf(cart: CartInput, filter: LineFilter): Unit[] {
  const out: Unit[] = [];
  cart.lines.forEach((l, i) => {
    if (l.quantity > 0 && matches(filter, l.sku, l.category)) for (let q = 0; q < l.quantity; q++) out.push({ line: i, k: q, price: l.unitPrice });
  });
  return out.sort((a, b) => a.price - b.price || a.line - b.line);
}
