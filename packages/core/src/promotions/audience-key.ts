import type { CelCustomer, CompiledCondition } from "../rules/cel.ts";

/**
 * What an audience condition requires of the customer in so many words, read off its top-level `&&`
 * parts: `hasTag("…")`, `customer.tier == "…"` and `isMember()`. A campaign index files a campaign
 * under it (a tag, a tier, members), so a cart is priced without even looking at the campaigns meant
 * for other customers: a program's segment and tier offers cost nothing to the carts they are not for.
 *
 * Sound by construction: every part named here must hold for the condition to hold, so a customer who
 * does not meet the key cannot meet the condition. A condition that says more (metrics, `||`, a
 * negation) keeps those parts for evaluateCart to run; a condition with none of them has no key.
 */
export interface AudienceKey {
  /** Tags the customer must all have. */
  tags: string[];
  /** The tier the customer must be in ("" for no tier); null: any. */
  tier: string | null;
  /** Members only (guests have the id ""). */
  member: boolean;
}

/** A CEL string literal without escapes, as the forms below accept it (anything fancier gives no key). */
const LITERAL = String.raw`(?:"([^"\\]*)"|'([^'\\]*)')`;
const HAS_TAG = new RegExp(String.raw`^hasTag\(\s*${LITERAL}\s*\)$`);
const TIER_IS = new RegExp(String.raw`^customer\.tier\s*==\s*${LITERAL}$`);
const IS_TIER = new RegExp(String.raw`^${LITERAL}\s*==\s*customer\.tier$`);
const IS_MEMBER = /^isMember\(\s*\)$/;

const literal = (m: RegExpExecArray) => m[1] ?? m[2]!;

/** The key of an audience condition; null when none of its parts is one of the forms above. */
export function audienceKey(condition: CompiledCondition | null): AudienceKey | null {
  if (!condition) return null;
  const key: AudienceKey = { tags: [], tier: null, member: false };
  let found = false;
  for (const part of condition.parts) {
    const s = part.source;
    let m: RegExpExecArray | null;
    if ((m = HAS_TAG.exec(s))) {
      const tag = literal(m);
      if (!key.tags.includes(tag)) key.tags.push(tag);
    } else if ((m = TIER_IS.exec(s) ?? IS_TIER.exec(s))) {
      // Two different tiers at once (nobody meets that): the first is key enough; evaluateCart runs the rest.
      key.tier ??= literal(m);
    } else if (IS_MEMBER.test(s)) key.member = true;
    else continue;
    found = true;
  }
  return found ? key : null;
}

/** Whether the customer meets the key (and may therefore meet the whole condition). */
export function meetsAudienceKey(key: AudienceKey, customer: Pick<CelCustomer, "id" | "tier" | "tags">): boolean {
  if (key.member && customer.id === "") return false;
  if (key.tier !== null && customer.tier !== key.tier) return false;
  for (const t of key.tags) if (!customer.tags.includes(t)) return false;
  return true;
}
