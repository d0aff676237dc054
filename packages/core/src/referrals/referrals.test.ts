import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { referralAddress, referralEmail, selfReferralFlags } from "./fraud.ts";
import { commissionFor, ladderPosition, referrerReward } from "./reward.ts";
import { normalizeReferralCode, referralCode, vanityPrefix } from "./codes.ts";
import { checkReferralSettings } from "./check-settings.ts";
import type { ReferralIdentity, ReferralSettings } from "./types.ts";

/** Story 4: the friend gets 10% off the first order (a campaign), the referrer 100 points, more with each referral. */
const STORY4: ReferralSettings = {
  enabled: true,
  attributionDays: 30,
  friend: { campaignId: "cmp_friend", validDays: 30, points: 0 },
  referrer: { on: "first_order", holdDays: 14, reward: { points: 100 }, ladder: [{ from: 4, reward: { points: 150 } }, { from: 11, reward: { points: 300 } }] },
  commission: null,
  caps: [{ per: "month", max: 10 }],
  holdSuspicious: true,
};

const who = (over: Partial<ReferralIdentity>): ReferralIdentity => ({ customerId: "c1", email: null, phone: null, address: null, device: null, ip: null, ...over });

describe("self-referral checks", () => {
  it("finds the same customer, mailbox, phone, address, device and IP", () => {
    const referrer = who({ customerId: "anna", email: "Anna.B+promo@gmail.com", phone: "+84 90 123 4567", address: "12 Lý Thường Kiệt, Q.10", device: "dev-1", ip: "10.0.0.1" });
    expect(selfReferralFlags(referrer, { ...referrer })).toEqual(["SELF_REFERRAL", "SAME_EMAIL", "SAME_PHONE", "SAME_ADDRESS", "SAME_DEVICE", "SAME_IP"]);
    expect(selfReferralFlags(referrer, who({ customerId: "b", email: "annab@googlemail.com" }))).toEqual(["SAME_EMAIL"]);
    expect(selfReferralFlags(referrer, who({ customerId: "b", phone: "+84901234567" }))).toEqual(["SAME_PHONE"]);
    expect(selfReferralFlags(referrer, who({ customerId: "b", address: "12 ly thuong kiet q10" }))).toEqual(["SAME_ADDRESS"]);
    expect(selfReferralFlags(referrer, who({ customerId: "b", email: "anna.b@example.com", ip: "10.0.0.2" }))).toEqual([]);
  });
  it("never matches on what neither side sent", () => {
    expect(selfReferralFlags(who({ customerId: "a" }), who({ customerId: "b" }))).toEqual([]);
    expect(selfReferralFlags(who({ customerId: "a", email: " " }), who({ customerId: "b", email: " " }))).toEqual([]);
  });
  it("keeps other providers' dots, drops tags everywhere", () => {
    expect(referralEmail("A.B+x@Example.com")).toBe("a.b@example.com");
    expect(referralEmail("a.b.c@gmail.com")).toBe("abc@gmail.com");
    expect(referralAddress("Đường 3/2, P.12")).toBe("duong32p12");
  });
});

describe("the referrer's reward", () => {
  it("steps up along the ladder: 100 for the first three, 150 from the 4th, 300 from the 11th", () => {
    expect([1, 3, 4, 10, 11, 50].map((n) => referrerReward(STORY4, n).points)).toEqual([100, 100, 150, 150, 300, 300]);
  });
  it("says where a referrer stands and what the next step takes", () => {
    expect(ladderPosition(STORY4, 0)).toEqual({ step: 0, next: { from: 4, remaining: 4, reward: { points: 150 } } });
    expect(ladderPosition(STORY4, 3)).toEqual({ step: 0, next: { from: 4, remaining: 1, reward: { points: 150 } } });
    expect(ladderPosition(STORY4, 4)).toEqual({ step: 1, next: { from: 11, remaining: 7, reward: { points: 300 } } });
    expect(ladderPosition(STORY4, 12)).toEqual({ step: 2, next: null });
  });
});

describe("commissions", () => {
  const s: ReferralSettings = { ...STORY4, commission: { percent: 5, asset: "bonus", months: 6, capPerFriend: 10_000, capPerPeriod: { amount: 25_000, per: "month" } } };
  it("is a share of the order, rounded down, within both caps and the months", () => {
    expect(commissionFor(s, { amount: 99_999, paidForFriend: 0, paidThisPeriod: 0, withinMonths: true })).toBe(4_999);
    expect(commissionFor(s, { amount: 500_000, paidForFriend: 7_000, paidThisPeriod: 0, withinMonths: true })).toBe(3_000);
    expect(commissionFor(s, { amount: 500_000, paidForFriend: 0, paidThisPeriod: 24_000, withinMonths: true })).toBe(1_000);
    expect(commissionFor(s, { amount: 500_000, paidForFriend: 0, paidThisPeriod: 0, withinMonths: false })).toBe(0);
    expect(commissionFor(STORY4, { amount: 500_000, paidForFriend: 0, paidThisPeriod: 0, withinMonths: true })).toBe(0);
  });
  it("never pays past a cap, however the orders come (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 40 }), (orders) => {
        let paid = 0;
        for (const amount of orders) paid += commissionFor(s, { amount, paidForFriend: paid, paidThisPeriod: paid, withinMonths: true });
        expect(paid).toBeLessThanOrEqual(10_000);
        expect(paid).toBe(Math.min(10_000, paid));
      }),
    );
  });
});

describe("referral codes", () => {
  const bytes = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + n) & 255);
  it("reads as the first name and four characters, or eight characters without a name", () => {
    expect(referralCode("Anna Berg", bytes(1), true)).toMatch(/^ANNA-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}$/);
    expect(referralCode("Nguyễn Thị Ánh", bytes(1), true)).toMatch(/^NGUYEN-/);
    expect(referralCode(null, bytes(2), true)).toMatch(/^[23456789ABCDEFGHJKMNPQRSTWXYZ]{8}$/);
    expect(referralCode("Anna", bytes(2), false)).toMatch(/^[23456789ABCDEFGHJKMNPQRSTWXYZ]{8}$/);
    expect(vanityPrefix("  đức  ")).toBe("DUC");
    expect(vanityPrefix("李")).toBe("");
  });
  it("normalises what a friend types", () => {
    expect(normalizeReferralCode(" anna-7k3q ")).toBe("ANNA7K3Q");
    expect(normalizeReferralCode("anna 7k3q")).toBe("ANNA7K3Q");
    expect(normalizeReferralCode("7K3QAB2C")).toBe("7K3QAB2C");
    expect(normalizeReferralCode("x")).toBeNull();
    expect(normalizeReferralCode("anna!7k3q")).toBeNull();
  });
});

describe("checkReferralSettings", () => {
  it.each([
    [{ attributionDays: 0 }, "attributionDays"],
    [{ referrer: { ...STORY4.referrer, on: "every_order" as const } }, "referrer.months"],
    [{ referrer: { ...STORY4.referrer, ladder: [{ from: 5, reward: { points: 1 } }, { from: 5, reward: { points: 2 } }] } }, "referrer.ladder[1].from"],
    [{ referrer: { ...STORY4.referrer, reward: { points: 0 } } }, "referrer.reward"],
    [{ commission: { percent: 0, asset: "bonus" as const, months: 3 } }, "commission.percent"],
    [{ caps: [{ per: "month" as const, max: 0 }] }, "caps[0].max"],
  ])("refuses %j naming %s", (over, field) => {
    const r = checkReferralSettings({ ...STORY4, ...over } as ReferralSettings);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "REFERRALS_INVALID", details: { field } });
  });
  it("accepts story 4", () => {
    expect(checkReferralSettings(STORY4).ok).toBe(true);
  });
});
