import { describe, expect, it } from "vitest";
import { checkStampCard } from "./check-card.ts";
import type { StampCardDefinition } from "./types.ts";

const base: StampCardDefinition = {
  name: "Coffee card",
  stamps: 10,
  qualifying: 'line.category == "coffee"',
  per: "unit",
  limits: [],
  expiry: { kind: "never" },
  reward: { kind: "reward", rewardId: "rwd_1" },
};
const card = (patch: Partial<StampCardDefinition>): StampCardDefinition => ({ ...base, ...patch });

describe("checkStampCard accepts", () => {
  it.each<[string, StampCardDefinition]>([
    ["10 stamps, one per coffee unit, a reward", base],
    ["every line qualifying (no condition)", card({ qualifying: null })],
    ["a condition on the line and the order", card({ qualifying: 'line.sku.startsWith("LAT") && line.unitPrice >= 3000 && order.total > 0 && local.dayOfWeek <= 5' })],
    ["2 stamps, the smallest card", card({ stamps: 2 })],
    ["1000 stamps, the largest card", card({ stamps: 1000 })],
    ["one stamp per order with a cap", card({ per: "order", maxPerOrder: 1 })],
    ["a limit per day and per month", card({ limits: [{ per: "day", maxStamps: 3 }, { per: "month", maxStamps: 40 }] })],
    ["stamps that expire after 90 days", card({ expiry: { kind: "days", days: 90 } })],
    ["stamps that expire at the end of next month", card({ expiry: { kind: "end_of_month", months: 1 } })],
    ["points as the reward", card({ reward: { kind: "points", points: 500 } })],
  ])("%s", (_, d) => {
    expect(checkStampCard(d)).toBeNull();
  });
});

describe("checkStampCard refuses, naming the field", () => {
  it.each<[string, StampCardDefinition, string]>([
    ["an empty name", card({ name: " " }), "name"],
    ["a card of 1 stamp", card({ stamps: 1 }), "stamps"],
    ["a card of 1001 stamps", card({ stamps: 1001 }), "stamps"],
    ["a fractional size", card({ stamps: 9.5 }), "stamps"],
    ["an unknown per", card({ per: "visit" as never }), "per"],
    ["a condition that does not parse", card({ qualifying: "line.sku ==" }), "qualifying"],
    ["a condition on an unknown field", card({ qualifying: "line.colour == 'red'" }), "qualifying"],
    ["a condition that is not a bool", card({ qualifying: "line.quantity" }), "qualifying"],
    ["a condition on the customer", card({ qualifying: 'customer.tier == "gold"' }), "qualifying"],
    ["a maxPerOrder of 0", card({ maxPerOrder: 0 }), "maxPerOrder"],
    ["a limit of 0 stamps", card({ limits: [{ per: "day", maxStamps: 0 }] }), "limits.0.maxStamps"],
    ["two limits on the same period", card({ limits: [{ per: "day", maxStamps: 3 }, { per: "day", maxStamps: 4 }] }), "limits.1.per"],
    ["a limit on an unknown period", card({ limits: [{ per: "hour" as never, maxStamps: 4 }] }), "limits.0.per"],
    ["expiry after 0 days", card({ expiry: { kind: "days", days: 0 } }), "expiry.days"],
    ["expiry 121 months on", card({ expiry: { kind: "end_of_month", months: 121 } }), "expiry.months"],
    ["a reward without an id", card({ reward: { kind: "reward", rewardId: "" } }), "reward.rewardId"],
    ["0 points", card({ reward: { kind: "points", points: 0 } }), "reward.points"],
    ["fractional points", card({ reward: { kind: "points", points: 1.5 } }), "reward.points"],
  ])("%s", (_, d, field) => {
    const e = checkStampCard(d);
    expect(e).toMatchObject({ code: "STAMP_CARD_INVALID", details: { field } });
    expect(e!.message.length).toBeGreaterThan(10);
  });

  it("gives the position of a syntax error in the condition", () => {
    expect(checkStampCard(card({ qualifying: 'line.sku == "A" &&' }))!.details).toMatchObject({ field: "qualifying", start: expect.any(Number) });
  });
});
