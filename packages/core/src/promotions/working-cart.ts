import { allocate } from "../money/allocate.ts";
import { sortSmall } from "../sort.ts";
import type { CartInput, LineFilter } from "./types.ts";

/**
 * A cart's lines before any campaign: list amounts, floors and units. Computed once per evaluation
 * and shared by every combination priced (each gets its own WorkingCart on top).
 */
export class CartLines {
  readonly n: number;
  readonly gross: number[];
  /** How far each line may go down (the program's line floor). */
  readonly floor: number[];
  /** Where each line's units start in a flat numbering of the cart's units (line i, unit k: start[i] + k). */
  readonly unitStart: number[];
  readonly unitCount: number;
  private sorted: Unit[] | null = null;

  constructor(
    readonly cart: CartInput,
    lineFloorBps: number,
  ) {
    const n = cart.lines.length;
    this.n = n;
    this.gross = new Array<number>(n);
    this.floor = new Array<number>(n);
    this.unitStart = new Array<number>(n);
    let units = 0;
    for (let i = 0; i < n; i++) {
      const l = cart.lines[i]!;
      const g = l.quantity * l.unitPrice;
      this.gross[i] = g;
      // The floor is rounded up: a 30% floor on 999 keeps 300, never 299.
      this.floor[i] = lineFloorBps > 0 ? Math.ceil((g * lineFloorBps) / 10_000) : 0;
      this.unitStart[i] = units;
      // As many units as unitsOf makes for the line.
      if (l.quantity > 0) units += Math.ceil(l.quantity);
    }
    this.unitCount = units;
  }

  /** Whether line `i` is reached by a filter. */
  reaches(filter: LineFilter, i: number): boolean {
    const l = this.cart.lines[i]!;
    return matches(filter, l.sku, l.category);
  }

  /** For each line, whether a filter reaches it. */
  reached(filter: LineFilter): boolean[] {
    const hit = new Array<boolean>(this.n);
    for (let i = 0; i < this.n; i++) hit[i] = this.reaches(filter, i);
    return hit;
  }

  /** How many units the lines reached by `filter` (or by `or`) hold: an upper bound on what unit effects can use. */
  unitsReached(filter: LineFilter, or: LineFilter | null = null): number {
    let n = 0;
    for (let i = 0; i < this.n; i++) {
      const q = this.cart.lines[i]!.quantity;
      if (q > 0 && (this.reaches(filter, i) || (or !== null && this.reaches(or, i)))) n += Math.ceil(q);
    }
    return n;
  }

  /** What the lines a filter reaches cost before any discount. */
  grossOf(filter: LineFilter): number {
    let gross = 0;
    for (let i = 0; i < this.n; i++) if (this.gross[i]! > 0 && this.reaches(filter, i)) gross += this.gross[i]!;
    return gross;
  }

  /** The units of the lines a filter reaches, cheapest first (ties: earlier line first); a fresh array. */
  unitsOf(filter: LineFilter): Unit[] {
    return reachesEveryLine(filter) ? this.allUnits().slice() : this.unitsOn(this.reached(filter));
  }

  /** The units of the lines marked in `hit`, cheapest first (ties: earlier line first); a fresh array. */
  unitsOn(hit: readonly boolean[]): Unit[] {
    const out: Unit[] = [];
    // Filtering the cart's sorted units keeps their order: the same list as sorting the matching ones.
    for (const u of this.allUnits()) if (hit[u.line]) out.push(u);
    return out;
  }

  /** A unit's number in the flat numbering of the cart's units (0 … unitCount − 1). */
  unitId(u: Unit): number {
    return this.unitStart[u.line]! + u.k;
  }

  /**
   * Every unit of the cart, cheapest first (ties: earlier line, then earlier unit), built once per
   * cart; shared, so read only. A line's units share its price, so ordering the lines is enough.
   */
  private allUnits(): readonly Unit[] {
    if (this.sorted) return this.sorted;
    const lines = this.cart.lines;
    const order: number[] = [];
    for (let i = 0; i < this.n; i++) if (lines[i]!.quantity > 0) order.push(i);
    sortSmall(order, (a, b) => lines[a]!.unitPrice - lines[b]!.unitPrice); // stable: ties keep line order
    const out: Unit[] = [];
    for (const i of order) for (let q = 0; q < lines[i]!.quantity; q++) out.push({ line: i, k: q, price: lines[i]!.unitPrice });
    this.sorted = out;
    return out;
  }
}

/**
 * A cart while campaigns are applied to it: what is left of each line and which campaign took what.
 * Campaigns are named by their slot in the combination (0 … slots − 1). Every discount goes through
 * `take`, so no line ever falls below its floor and the per-line adjustments always add up to the
 * discount.
 */
export class WorkingCart {
  readonly cart: CartInput;
  readonly gross: readonly number[];
  readonly net: number[];
  /** What slot s took off line i, at s × n + i. */
  private readonly adj: number[];
  /** s × n + i for each (slot, line) in the order of the slot's first take from the line. */
  private readonly firstTakes: number[] = [];
  private readonly n: number;
  shippingLeft: number;

  constructor(
    readonly lines: CartLines,
    slots: number,
  ) {
    this.cart = lines.cart;
    this.n = lines.n;
    this.gross = lines.gross;
    this.net = lines.gross.slice();
    this.adj = zeros(slots * lines.n);
    this.shippingLeft = lines.cart.shipping ?? 0;
  }

  room(i: number): number {
    return this.net[i]! - this.lines.floor[i]!;
  }

  /** Takes up to `amount` off line `i` for a campaign; returns what was taken. */
  take(i: number, amount: number, slot: number): number {
    const t = Math.min(amount, this.room(i));
    if (t <= 0) return 0;
    this.net[i]! -= t;
    const at = slot * this.n + i;
    // Takes are positive and come before any give-back, so zero means "first take".
    if (this.adj[at] === 0) this.firstTakes.push(at);
    this.adj[at]! += t;
    return t;
  }

  /** Gives back `amount` of a campaign's discount on line `i` (the margin guard's trim). */
  giveBack(i: number, amount: number, slot: number): void {
    const at = slot * this.n + i;
    const g = Math.min(this.adj[at]!, amount);
    if (g <= 0) return;
    this.net[i]! += g;
    this.adj[at]! -= g;
  }

  /**
   * Spreads an order-level amount over every line in proportion to what is left of them (largest
   * remainder), never past a line's floor: what a capped line cannot take goes to the others.
   * Returns what was taken in all, which is less than `amount` only when the lines have no more room.
   */
  spread(amount: number, slot: number): number {
    let left = amount;
    // Usually every line has room and one round places everything: the weights are then `net`
    // itself (allocate only reads it) and no list of open lines (null: all of them) is made.
    let open = this.openLines();
    while (left > 0 && (open === null || open.length > 0)) {
      const parts = allocate(left, open === null ? this.net : open.map((i) => this.net[i]!));
      let took = 0;
      if (open === null) for (let i = 0; i < this.n; i++) took += this.take(i, parts[i]!, slot);
      else for (let k = 0; k < open.length; k++) took += this.take(open[k]!, parts[k]!, slot);
      left -= took;
      // Each round either places everything or fills at least one line, so this ends within n rounds.
      if (took === 0 || left === 0) break;
      open = this.openLines();
    }
    return amount - left;
  }

  /** The lines with room left, or null when every line has some. A full line stays full while `spread` takes. */
  private openLines(): number[] | null {
    let i = 0;
    while (i < this.n && this.room(i) > 0) i++;
    if (i === this.n) return null;
    const open: number[] = [];
    for (let j = 0; j < this.n; j++) if (this.room(j) > 0) open.push(j);
    return open;
  }

  merchandiseNet(): number {
    let s = 0;
    for (const v of this.net) s += v;
    return s;
  }

  discountOf(slot: number): number {
    let s = 0;
    const from = slot * this.n;
    for (let i = 0; i < this.n; i++) s += this.adj[from + i]!;
    return s;
  }

  /** What a slot took off each line. */
  perLine(slot: number): number[] {
    const from = slot * this.n;
    return this.adj.slice(from, from + this.n);
  }

  /** For each line, what the slots that took something off it took (`make(slot, amount)`), in the order they first took from it. */
  adjustments<T>(make: (slot: number, amount: number) => T): T[][] {
    // Each line's list at its exact size, counted first: a list grown by push reserves 16 places,
    // and a cart's lines usually hold a few adjustments each.
    const count = zeros(this.n);
    for (const at of this.firstTakes) if (this.adj[at] !== 0) count[at % this.n]!++;
    const out = new Array<T[]>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = new Array<T>(count[i]!);
    const filled = count.fill(0);
    for (const at of this.firstTakes) {
      if (this.adj[at] === 0) continue; // all given back
      const i = at % this.n;
      out[i]![filled[i]!++] = make((at - i) / this.n, this.adj[at]!);
    }
    return out;
  }
}

/**
 * Zeros, as a packed array of small integers that is cheap to read (`new Array(n).fill(0)` makes a
 * holey one; pushing n zeros grows the list several times): one slice of a longer list of zeros.
 */
function zeros(n: number): number[] {
  if (n > ZEROS.length) for (let k = ZEROS.length; k < n; k++) ZEROS.push(0);
  return ZEROS.slice(0, n);
}
/** Only ever grown, never written otherwise: every `zeros` is a fresh copy of part of it. */
const ZEROS: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

const reachesEveryLine = (filter: LineFilter) => !filter.skus?.length && !filter.categories?.length;

/**
 * Whether a cart line is reached by a filter (no skus and no categories: every line). Loops rather
 * than `includes`: filters name a sku or two, and a cart prices each filter against every line.
 */
export function matches(filter: LineFilter, sku: string, category: string | undefined): boolean {
  const skus = filter.skus;
  const categories = filter.categories;
  const anySku = skus !== undefined && skus.length > 0;
  const anyCategory = categories !== undefined && categories.length > 0;
  if (!anySku && !anyCategory) return true;
  if (anySku) for (let k = 0; k < skus.length; k++) if (skus[k] === sku) return true;
  if (anyCategory && category !== undefined) for (let k = 0; k < categories.length; k++) if (categories[k] === category) return true;
  return false;
}

/** One unit of a line, for effects that price units (cheapest N, buy X get Y, bundles). */
export interface Unit {
  line: number;
  /** Which unit of its line (0-based): line and k name a unit. */
  k: number;
  price: number;
}
