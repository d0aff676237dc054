import { describe, expect, it } from "vitest";
import { counterKey, splitCounterKey } from "@patron/core";
import { isBudgetKey } from "./rule-counters.ts";

describe("isBudgetKey", () => {
  it("is true for a rule's global budget only", () => {
    expect(isBudgetKey(counterKey("rul_1", "*", "lifetime"))).toBe(true);
    expect(isBudgetKey(counterKey("rul_1", "cus_1", "lifetime"))).toBe(false);
    expect(isBudgetKey(counterKey("rul_1", "cus_1", "day:2026-11-24"))).toBe(false);
  });

  it("reads the scope as splitCounterKey does, whatever the store's customer id holds", () => {
    // Scopes are any printable text, "|" and "*" included: the answer must be splitCounterKey's.
    for (const scope of ["*", "**", "*|x", "x|*", "a*", "*a", "|", "||", "", "*|", "|*"]) {
      const key = counterKey("rul_1", scope, "week:2026-W48");
      expect(isBudgetKey(key), scope).toBe(splitCounterKey(key)[1] === "*");
    }
  });
});
