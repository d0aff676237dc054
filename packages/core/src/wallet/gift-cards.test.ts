import { describe, expect, it } from "vitest";
import { giftCardRefusal, giftCardState, normalizeGiftCardCode } from "./gift-cards.ts";

describe("gift cards", () => {
  it.each([
    { typed: "ab12-cd34-ef56", code: "AB12CD34EF56" },
    { typed: " 1234 5678 ", code: "12345678" },
    { typed: "SHORT7", code: null },
    { typed: "no_underscores1", code: null },
  ])("normalizeGiftCardCode($typed) = $code", ({ typed, code }) => {
    expect(normalizeGiftCardCode(typed)).toBe(code);
  });
  const now = new Date("2026-05-01T00:00:00Z");
  it("a card expires at its instant exactly, and a disabled card stays disabled", () => {
    expect(giftCardState({ status: "active", expiresAt: new Date("2026-05-01T00:00:01Z") }, now)).toBe("active");
    expect(giftCardState({ status: "active", expiresAt: now }, now)).toBe("expired");
    expect(giftCardState({ status: "disabled", expiresAt: null }, now)).toBe("disabled");
  });
  it("refuses disabled and expired cards with the reason", () => {
    expect(giftCardRefusal({ code: "X", status: "active", expiresAt: null }, now)).toBeNull();
    expect(giftCardRefusal({ code: "X", status: "disabled", expiresAt: null }, now)).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { reason: "disabled" } });
    expect(giftCardRefusal({ code: "X", status: "active", expiresAt: new Date("2026-04-01T00:00:00Z") }, now)).toMatchObject({ code: "GIFT_CARD_NOT_USABLE", details: { reason: "expired" } });
  });
});
