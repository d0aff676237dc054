import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { celVariables, compileCondition, runCondition, type CelCustomer, type CompiledCondition } from "../rules/cel.ts";
import { audienceKey, meetsAudienceKey } from "./audience-key.ts";

function compiled(src: string): CompiledCondition {
  const r = compileCondition(src);
  if (!r.ok) throw new Error(`expected ${src} to compile: ${r.error.message}`);
  return r.value;
}

function customer(over: Partial<CelCustomer> = {}): CelCustomer {
  return {
    id: "cus_1", email: "", phone: "", name: "", birthday: "", status: "active", tier: "", tags: [], attributes: {},
    metrics: { lifetimeOrders: 2, lifetimeSpend: 50_000, daysSinceFirstOrder: 40, daysSinceLastOrder: 3, ordersThisMonth: 1, spendThisMonth: 20_000 },
    ...over,
  };
}

const NOW = new Date("2026-11-24T10:00:00Z");
function holds(cond: CompiledCondition, c: CelCustomer): boolean {
  const input = { event: { id: "", type: "cart", name: "", occurredAt: NOW, data: {} }, order: null, customer: c, now: NOW, timeZone: "UTC" };
  const r = runCondition(cond, input as never, celVariables(input as never));
  return "matched" in r && r.matched;
}

describe("audienceKey", () => {
  it("reads tags, a tier and membership off the top-level && parts", () => {
    expect(audienceKey(compiled('hasTag("vip")'))).toEqual({ tags: ["vip"], tier: null, member: false });
    expect(audienceKey(compiled("isMember() && customer.tier == 'gold' && hasTag(\"a\") && hasTag('b')"))).toEqual({ tags: ["a", "b"], tier: "gold", member: true });
    expect(audienceKey(compiled('"gold" == customer.tier && customer.metrics.lifetimeOrders >= 2'))).toEqual({ tags: [], tier: "gold", member: false });
  });

  it("gives no key for what it cannot be sure of: ||, negation, escapes, brackets, other fields", () => {
    for (const src of ['hasTag("a") || hasTag("b")', '!hasTag("a")', 'hasTag("a\\"b")', '(hasTag("a"))', 'customer.tier != "gold"', "customer.metrics.lifetimeOrders == 1", 'customer.tier == "gold" || isMember()']) {
      expect(audienceKey(compiled(src)), src).toBeNull();
    }
    expect(audienceKey(null)).toBeNull();
  });

  it("a guest meets no members-only key; tags must all be there; the tier must be the one", () => {
    const key = audienceKey(compiled('isMember() && hasTag("a") && hasTag("b") && customer.tier == "gold"'))!;
    expect(meetsAudienceKey(key, customer({ tier: "gold", tags: ["b", "a", "c"] }))).toBe(true);
    expect(meetsAudienceKey(key, customer({ id: "", tier: "gold", tags: ["a", "b"] }))).toBe(false);
    expect(meetsAudienceKey(key, customer({ tier: "gold", tags: ["a"] }))).toBe(false);
    expect(meetsAudienceKey(key, customer({ tier: "silver", tags: ["a", "b"] }))).toBe(false);
  });

  it("is sound: whenever a customer does not meet the key, the condition itself is false (random conditions and customers)", () => {
    const tag = fc.constantFrom("a", "b", "vip");
    const tier = fc.constantFrom("", "gold", "silver");
    const part = fc.oneof(
      tag.map((t) => `hasTag("${t}")`),
      tag.map((t) => `hasTag('${t}')`),
      tier.map((t) => `customer.tier == "${t}"`),
      tier.map((t) => `"${t}" == customer.tier`),
      fc.constant("isMember()"),
      fc.constant("customer.metrics.lifetimeOrders >= 2"),
      tag.map((t) => `!hasTag("${t}")`),
      fc.tuple(tag, tag).map(([a, b]) => `(hasTag("${a}") || hasTag("${b}"))`),
    );
    const someone = fc.record({ id: fc.constantFrom("", "cus_1"), tier, tags: fc.subarray(["a", "b", "vip"]) });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), someone, (parts, who) => {
        const cond = compiled(parts.join(" && "));
        const key = audienceKey(cond);
        const c = customer(who);
        if (key && !meetsAudienceKey(key, c)) expect(holds(cond, c)).toBe(false);
        // And no key is made up: a condition made only of the keyed forms holds exactly when its key is met.
        if (key && parts.every((p) => /^(hasTag\(|customer\.tier ==|"[a-z]*" == customer\.tier|isMember)/.test(p))) {
          const tiers = new Set(parts.filter((p) => p.includes("customer.tier")).map((p) => /"([a-z]*)"/.exec(p)![1]));
          if (tiers.size <= 1) expect(meetsAudienceKey(key, c)).toBe(holds(cond, c));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
