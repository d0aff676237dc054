import { domainError, type DomainError } from "../errors.ts";
import { compileCondition } from "../rules/cel.ts";
import { LIMIT_PERIODS } from "../rules/types.ts";
import { MAX_STAMPS_PER_CARD, STAMP_PER, type StampCardDefinition } from "./types.ts";

const positiveInt = (n: unknown, max: number) => typeof n === "number" && Number.isSafeInteger(n) && n >= 1 && n <= max;

/**
 * What a request schema cannot say about a stamp card: the size is a whole number from 2 to 1000, the
 * qualifying condition type-checks (with the position of the error) and reads the line and the order
 * only, the caps and limits are positive whole numbers (one limit per period), the expiry is in range,
 * and the reward is a reward id or a positive number of points. Returns the first problem found.
 *
 * Error: STAMP_CARD_INVALID, with `details.field` naming what to fix (`limits.1.maxStamps`), and
 * `details.start` / `details.end` for the condition.
 *
 * @example
 * checkStampCard({ ...card, stamps: 1 })
 * // { code: "STAMP_CARD_INVALID", message: "stamps is a whole number from 2 to 1000 …", details: { field: "stamps" } }
 */
export function checkStampCard(def: StampCardDefinition): DomainError | null {
  const bad = (field: string, message: string, extra: Record<string, unknown> = {}) => domainError("STAMP_CARD_INVALID", message, { field, ...extra });

  if (typeof def.name !== "string" || def.name.trim() === "") return bad("name", "A stamp card needs a name.");
  if (!positiveInt(def.stamps, MAX_STAMPS_PER_CARD) || def.stamps < 2) return bad("stamps", `stamps is a whole number from 2 to ${MAX_STAMPS_PER_CARD}: the stamps that fill the card; got ${def.stamps}.`);
  if (!(STAMP_PER as readonly string[]).includes(def.per)) return bad("per", `per is one of ${STAMP_PER.join(", ")}; got ${String(def.per)}.`);

  if (def.qualifying !== null) {
    const c = compileCondition(def.qualifying);
    if (!c.ok) {
      const at = c.error.start !== undefined ? ` (at character ${c.error.start + 1})` : "";
      return bad("qualifying", `The qualifying condition is not valid CEL${at}: ${c.error.message}`, { start: c.error.start ?? null, end: c.error.end ?? null });
    }
    // Stamps are decided before the customer's profile is read (and per line, thousands per batch).
    if (c.value.readsCustomer) return bad("qualifying", "The qualifying condition reads the order line (`line`) and the order (`order`), not the customer: every active customer collects stamps.");
  }

  if (def.maxPerOrder !== undefined && def.maxPerOrder !== null && !positiveInt(def.maxPerOrder, 1_000_000)) {
    return bad("maxPerOrder", `maxPerOrder is a whole number of stamps from 1 to 1,000,000; got ${def.maxPerOrder}.`);
  }

  if (def.limits.length > LIMIT_PERIODS.length) return bad("limits", `A card has at most ${LIMIT_PERIODS.length} limits, one per period.`);
  const periods = new Set<string>();
  for (const [i, l] of def.limits.entries()) {
    if (!(LIMIT_PERIODS as readonly string[]).includes(l.per)) return bad(`limits.${i}.per`, `per is one of ${LIMIT_PERIODS.join(", ")}; got ${String(l.per)}.`);
    if (periods.has(l.per)) return bad(`limits.${i}.per`, `There is already a limit per ${l.per}: one limit per period.`);
    periods.add(l.per);
    if (!positiveInt(l.maxStamps, 1_000_000)) return bad(`limits.${i}.maxStamps`, `maxStamps is a whole number of stamps from 1 to 1,000,000; got ${l.maxStamps}.`);
  }

  const e = def.expiry;
  if (e.kind === "days" && !positiveInt(e.days, 3650)) return bad("expiry.days", `Stamps expire after 1 to 3650 whole days; got ${e.days}.`);
  if (e.kind === "end_of_month" && !(Number.isSafeInteger(e.months) && e.months >= 0 && e.months <= 120)) {
    return bad("expiry.months", `end_of_month counts 0 to 120 whole months after the stamp's month; got ${e.months}.`);
  }

  const r = def.reward;
  if (r.kind === "reward" && !(typeof r.rewardId === "string" && r.rewardId.length > 0)) return bad("reward.rewardId", "A reward names the catalogue reward to issue (rewardId).");
  if (r.kind === "points" && !positiveInt(r.points, 1_000_000_000)) return bad("reward.points", `reward.points is a whole number of points from 1 to 1,000,000,000; got ${r.points}.`);
  return null;
}
