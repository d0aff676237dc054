/**
 * Fuzz of malformed requests against the endpoints of the benefits that grow with a customer's
 * visits (issue 6) and what came with them: tiers, stamp cards, staff and their keys, wallets and
 * payouts, gift cards, referrals, the reward catalogue's later endpoints and the jobs. The same
 * machinery and the same verdict as fuzz.db.test.ts (fuzz-kit.ts): every answer a 4xx with a known
 * code and a message, no 5xx, and every table exactly as it was.
 *
 * Endpoints that take no body (archive, disable, issue a key, run the jobs or the reviews) act on a
 * valid request whatever is sent, so only their authentication, path and Idempotency-Key are fuzzed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderEvent, testApi, type TestApi } from "./harness.ts";
import { BAD_DATETIME, NOT_BOOL, NOT_INT, NOT_STRING, SEED, badText, countByEndpoint, problemsOf, runCases, serialise, snapshotTables, Fuzzer, type FuzzResult, type Spec } from "./fuzz-kit.ts";

const BAD_EXPIRY = ["never", 5, null, [], { kind: "forever" }, { kind: "days" }, { kind: "days", days: 0 }, { kind: "days", days: 3651 }, { kind: "days", days: 1.5 }, { kind: "end_of_month", months: -1 }];
const NOT_NULL_DATETIME = BAD_DATETIME.filter((v) => v !== null);
const WHOLE = [...NOT_INT, 0, -1, 1_000_000_000_001];

/** What the seeding made: the targets of the specs. */
interface Seeded {
  mug: string;
  spa: string;
  credit: string;
  archivedReward: string;
  cancelled: string;
  tierGift: string;
  cards: { enabled: string; disabled: string; archived: string };
  staff: { active: string; disabled: string };
  paidPayout: string;
  giftCard: string;
  referralCode: string;
  referral: string;
}

const TIERS = (mug: string) => ({
  basis: "spend", window: "calendar_year", graceDays: 30, downgrade: "one_level",
  levels: [{ key: "silver", name: "Silver", threshold: 10_000, benefits: { entryReward: mug } }, { key: "gold", name: "Gold", threshold: 50_000, benefits: { earnBonusPercent: 10, entryPoints: 100 } }],
});
const REFERRALS = { enabled: true, attributionDays: 30, friend: { campaignId: null, validDays: 30, points: 50 }, referrer: { on: "first_order", holdDays: 14, reward: { points: 100 }, ladder: [] }, caps: [], holdSuspicious: true };

describe("fuzz: malformed requests to the tier, stamp, staff, wallet, gift card, referral, reward and job endpoints", () => {
  let api: TestApi;
  let fz: Fuzzer;
  let seeded: Seeded;
  let before: Awaited<ReturnType<typeof snapshotTables>>;
  let results: FuzzResult[] = [];

  beforeAll(async () => {
    api = await testApi();
    fz = new Fuzzer(api, SEED + 6);
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await api.call(method, path, body);
      if (r.status >= 300) throw new Error(`seeding ${method} ${path} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await ok("PATCH", "/v1/program", { wallet: { payouts: { enabled: true, minAmount: 100, maxAmount: 10_000, holdDays: 0 } } });
    const mug = (await ok("POST", "/v1/rewards", { name: "Mug", kind: "physical_gift", cost: 10, stock: 100 })).id;
    const spa = (await ok("POST", "/v1/rewards", { name: "Spa", kind: "partner_coupon", config: { partner: "Spa" }, cost: 10 })).id;
    await ok("POST", `/v1/rewards/${spa}/codes`, { codes: ["SPA-1", "SPA-2"] });
    const credit = (await ok("POST", "/v1/rewards", { name: "Credit", kind: "wallet_credit", config: { asset: "bonus", amount: 500 }, cost: 10 })).id;
    const archivedReward = (await ok("POST", "/v1/rewards", { name: "Old", kind: "free_shipping", cost: 10 })).id;
    await ok("PATCH", `/v1/rewards/${archivedReward}`, { status: "archived" });
    await ok("PUT", "/v1/tiers", { tiers: TIERS(mug) });
    // A customer at Silver (with its entry gift), points, bonus, cash, a paid payout and a cancelled redemption.
    await ok("POST", "/v1/events", orderEvent("seed-order", "fz-c1", "fz-o1", 20_000));
    await ok("POST", "/v1/customers/fz-c1/wallet/adjustments", { asset: "cash", amount: 5_000, reason: "seed" });
    await ok("POST", "/v1/customers/fz-c1/wallet/adjustments", { asset: "bonus", amount: 2_000, reason: "seed" });
    const payout = (await ok("POST", "/v1/customers/fz-c1/payouts", { amount: 1_000 })).id;
    await ok("POST", `/v1/payouts/${payout}/approve`, {});
    await ok("POST", `/v1/payouts/${payout}/pay`, { reason: "bank" });
    const bought = (await ok("POST", "/v1/customers/fz-c1/redemptions", { rewardId: mug })).id;
    await ok("POST", `/v1/redemptions/${bought}/cancel`, { reason: "seed" });
    const tierGift = (await ok("GET", "/v1/customers/fz-c1/redemptions")).data.find((r: { reference: string | null }) => r.reference?.startsWith("tier-gift:")).id;
    const giftCard = (await ok("POST", "/v1/gift-cards", { amount: 5_000, code: "FUZZ-GIFT-SEED" })).code;
    const card = (name: string, status = "enabled") => ok("POST", "/v1/stamp-cards", { name, stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", reward: { kind: "points", points: 50 }, status });
    const cards = { enabled: (await card("Coffee")).id, disabled: (await card("Tea", "disabled")).id, archived: (await card("Old")).id };
    await ok("POST", `/v1/stamp-cards/${cards.archived}/archive`);
    const active = (await ok("POST", "/v1/staff", { name: "Ana", store: "D1", pin: "2468" })).id;
    await ok("POST", `/v1/staff/${active}/key`);
    const disabled = (await ok("POST", "/v1/staff", { name: "Bao", pin: "1357" })).id;
    await ok("POST", `/v1/staff/${disabled}/disable`);
    await ok("POST", "/v1/staff/confirmations", { id: "seed-conf", pin: "2468", customerId: "fz-c1", action: { kind: "stamp", cardId: cards.enabled, count: 2 } });
    await ok("PUT", "/v1/referrals", { settings: REFERRALS, landingUrl: "https://shop.example/join" });
    const referralCode = (await ok("GET", "/v1/customers/fz-c1/referral")).code;
    const referral = (await ok("POST", "/v1/referrals", { friendId: "fz-f1", code: referralCode })).referralId;
    seeded = { mug, spa, credit, archivedReward, cancelled: bought, tierGift, cards, staff: { active, disabled }, paidPayout: payout, giftCard, referralCode, referral };
    before = await snapshotTables(api);
  });
  afterAll(() => api?.close());

  const tierLevel = "tiers.levels.0";
  function specs(): Spec[] {
    const s = seeded;
    const stampCardBad = {
      name: badText(200),
      description: [1, true, "x".repeat(2_001)],
      stamps: [0, 1, 1.5, "10", null, 1_001],
      qualifying: ["line.category ==", 'customer.tier == "gold"', "", 1, "nope == 1"],
      per: ["visit", "", 1, null],
      maxPerOrder: [0, -1, 1.5, "5", 1_000_001],
      limits: [null, "x", [{}], [{ per: "hour", maxStamps: 1 }], [{ per: "day", maxStamps: 0 }], [{ per: "day", maxStamps: 1 }, { per: "day", maxStamps: 2 }], Array.from({ length: 10 }, () => ({ per: "day", maxStamps: 1 }))],
      expiry: BAD_EXPIRY,
      reward: [null, {}, { kind: "reward" }, { kind: "reward", rewardId: "rwd_nope" }, { kind: "reward", rewardId: s.credit }, { kind: "reward", rewardId: s.archivedReward }, { kind: "points", points: 0 }, { kind: "points", points: 1.5 }, { kind: "stars", points: 1 }],
      status: ["archived", "on", 1, null],
    };
    const decision = (action: string, required: string[]): Spec => ({
      name: `POST /v1/payouts/{payoutId}/${action}`, method: "POST", path: () => `/v1/payouts/${s.paidPayout}/${action}`,
      badPaths: [`/v1/payouts/pyt_nope/${action}`, `/v1/payouts/${"x".repeat(65)}/${action}`], base: () => ({ reason: "checked", actor: "ops" }), required,
      bad: { reason: badText(500), actor: badText(200) }, idempotent: true, nested: [],
    });
    const giftCardStatus = (action: string): Spec => ({
      name: `POST /v1/gift-cards/{code}/${action}`, method: "POST", path: () => `/v1/gift-cards/${s.giftCard}/${action}`,
      badPaths: [`/v1/gift-cards/NOPE-NOPE-NOPE/${action}`, `/v1/gift-cards/${"x".repeat(101)}/${action}`], base: () => ({ reason: "reported stolen", actor: "ops" }), required: [],
      bad: { reason: badText(500), actor: badText(200) }, idempotent: true, nested: [],
    });
    const review = (action: string): Spec => ({
      name: `POST /v1/referrals/{referralId}/${action}`, method: "POST", path: () => `/v1/referrals/${s.referral}/${action}`,
      badPaths: [`/v1/referrals/rfl_nope/${action}`, `/v1/referrals/${"x".repeat(65)}/${action}`], base: () => ({ reason: "checked" }), required: ["reason"], bad: { reason: badText(500) }, idempotent: true, nested: [],
    });
    return [
      {
        name: "PUT /v1/tiers", method: "PUT", path: () => "/v1/tiers", badPaths: [], base: () => ({ tiers: TIERS(s.mug) }),
        required: ["tiers", "tiers.basis", "tiers.window", "tiers.levels", `${tierLevel}.key`, `${tierLevel}.name`, `${tierLevel}.threshold`],
        bad: {
          tiers: ["gold", 1, [], {}, true],
          "tiers.basis": ["money", "", 1, null, "SPEND"],
          "tiers.window": ["year", "", null, 1],
          "tiers.graceDays": [-1, 365, 1.5, "0", null],
          "tiers.downgrade": ["two_levels", "", 1, null],
          "tiers.levels": [[], "x", null, Array.from({ length: 21 }, (_, i) => ({ key: `l${i}`, name: "L", threshold: i + 1 })), [{ key: "silver", name: "S", threshold: 1 }, { key: "silver", name: "S", threshold: 2 }], [{ key: "gold", name: "G", threshold: 50_000 }, { key: "silver", name: "S", threshold: 10_000 }]],
          [`${tierLevel}.key`]: ["", "Gold Level", "x".repeat(33), 1, null, "GOLD", "bronze"],
          [`${tierLevel}.name`]: ["", "x".repeat(101), 1, null],
          [`${tierLevel}.threshold`]: [0, -1, 1.5, "100", null, 1_000_000_000_001, 50_000],
          [`${tierLevel}.benefits`]: ["x", 1, [], null],
          [`${tierLevel}.benefits.earnBonusPercent`]: [-1, 1_001, 1.5, "25"],
          [`${tierLevel}.benefits.discountPercent`]: [0, 101, -5, "5", 1.234],
          [`${tierLevel}.benefits.entryPoints`]: [0, -1, 1.5, "5", 1_000_000_001],
          [`${tierLevel}.benefits.entryReward`]: ["", "rwd nope", "x".repeat(65), 1, null, "rwd_nope", s.credit, s.archivedReward],
        },
        idempotent: true, nested: ["tiers", tierLevel, `${tierLevel}.benefits`],
      },
      {
        name: "PUT /v1/customers/{externalId}/tier", method: "PUT", path: () => "/v1/customers/fz-c1/tier",
        badPaths: ["/v1/customers/a%20b/tier", `/v1/customers/${"x".repeat(256)}/tier`, "/v1/customers/nobody/tier"],
        base: () => ({ tier: "gold", reason: "VIP by hand", reviewAt: "2030-01-01T00:00:00Z", gift: false }), required: ["tier", "reason"],
        bad: { tier: [1, "", "x".repeat(33), "platinum", true, {}, []], reason: badText(500), reviewAt: NOT_NULL_DATETIME, gift: NOT_BOOL }, idempotent: true, nested: [],
      },
      {
        name: "POST /v1/tiers/import", method: "POST", path: () => "/v1/tiers/import", badPaths: [],
        base: () => ({ customers: [{ customerId: "fz-c1", tier: "gold", since: "2025-01-01T00:00:00Z", reviewAt: null }] }), required: ["customers", "customers.0.customerId", "customers.0.tier"],
        bad: {
          customers: [[], "x", null, {}, Array.from({ length: 1_001 }, (_, i) => ({ customerId: `c${i}`, tier: "gold" }))],
          "customers.0": [null, "x", 1, []],
          "customers.0.customerId": ["", "x".repeat(256), 1, null],
          "customers.0.tier": ["", "x".repeat(33), 1, "diamond"],
          "customers.0.since": BAD_DATETIME,
          "customers.0.reviewAt": NOT_NULL_DATETIME,
        },
        idempotent: true, nested: ["customers.0"],
      },
      {
        name: "POST /v1/stamp-cards", method: "POST", path: () => "/v1/stamp-cards", badPaths: [],
        base: () => ({ name: "Fuzz card", stamps: 10, qualifying: 'line.category == "coffee"', per: "unit", maxPerOrder: 5, limits: [{ per: "day", maxStamps: 3 }], expiry: { kind: "days", days: 90 }, reward: { kind: "points", points: 50 } }),
        required: ["name", "stamps", "per", "reward"], bad: stampCardBad, idempotent: true, nested: ["reward", "expiry", "limits.0"],
      },
      {
        name: "PATCH /v1/stamp-cards/{cardId}", method: "PATCH", path: () => `/v1/stamp-cards/${s.cards.enabled}`,
        badPaths: ["/v1/stamp-cards/stc_nope", `/v1/stamp-cards/${"x".repeat(65)}`, `/v1/stamp-cards/${s.cards.archived}`],
        base: () => ({ name: "Renamed", stamps: 12 }), required: [],
        bad: stampCardBad, idempotent: true, nested: ["reward", "expiry", "limits.0"],
      },
      {
        name: "POST /v1/staff", method: "POST", path: () => "/v1/staff", badPaths: [], base: () => ({ name: "Chi", store: "D3", pin: "9753" }), required: ["name", "pin"],
        bad: { name: badText(200), store: [...NOT_STRING, "", "x".repeat(201)], pin: ["123", "123456789", "12a4", 1234, null, "", "2468"] }, idempotent: true, nested: [],
      },
      {
        name: "POST /v1/staff/confirmations", method: "POST", path: () => "/v1/staff/confirmations", badPaths: [],
        base: () => ({ id: fz.fresh("conf"), pin: "2468", customerId: "fz-c1", action: { kind: "stamp", cardId: s.cards.enabled, count: 1 } }),
        required: ["id", "pin", "customerId", "action", "action.kind"],
        bad: {
          id: ["", "a b", "x".repeat(201), 7, null, "seed-conf"],
          pin: ["123", "abcd", 1234, null, "", "1357", "0000"],
          key: ["short", 1, "x".repeat(101), `stk_${"a".repeat(40)}`],
          staffId: ["", "x".repeat(65), 1, "stf_nope"],
          customerId: ["", "a b", "x".repeat(256), 1, null, "nobody"],
          action: [null, "stamp", {}, { kind: "visit" }, { kind: "stamp" }, { kind: "custom" }, { kind: "custom", name: "has space" }, { kind: "stamp", cardId: s.cards.disabled }, { kind: "stamp", cardId: s.cards.archived }, { kind: "stamp", cardId: "stc_nope" }],
          "action.count": [0, 1_001, 1.5, "1", null],
          "action.cardId": ["", "x".repeat(65), 1, null, "stc_nope"],
        },
        idempotent: false, nested: ["action"],
      },
      {
        name: "POST /v1/customers/{externalId}/wallet/adjustments", method: "POST", path: () => "/v1/customers/fz-c1/wallet/adjustments",
        badPaths: ["/v1/customers/a%20b/wallet/adjustments", `/v1/customers/${"x".repeat(256)}/wallet/adjustments`, "/v1/customers/nobody/wallet/adjustments"],
        base: () => ({ asset: "bonus", amount: 250, reason: "goodwill", actor: "ops", expiry: { kind: "days", days: 30 } }), required: ["asset", "amount", "reason"],
        bad: { asset: ["points", "gift_card", "", 1, null, "BONUS"], amount: [...NOT_INT, 0, 1_000_000_000_001, -1_000_000_000_001, -1_000_000], reason: badText(500), actor: badText(200), expiry: BAD_EXPIRY },
        idempotent: true, nested: ["expiry"],
      },
      {
        name: "POST /v1/customers/{externalId}/payouts", method: "POST", path: () => "/v1/customers/fz-c1/payouts",
        badPaths: ["/v1/customers/a%20b/payouts", "/v1/customers/nobody/payouts"], base: () => ({ amount: 500, actor: "app" }), required: ["amount"],
        bad: { amount: [...WHOLE, 50, 20_000, 9_000], actor: badText(200) }, idempotent: true, nested: [],
      },
      decision("approve", []),
      decision("pay", []),
      decision("reject", ["reason"]),
      {
        name: "POST /v1/gift-cards", method: "POST", path: () => "/v1/gift-cards", badPaths: [],
        base: () => ({ amount: 5_000, code: "FUZZ-GIFT-0001", currency: "USD", expiresAt: "2030-01-01T00:00:00Z", customerId: "fz-c1", actor: "till" }), required: ["amount"],
        bad: {
          amount: WHOLE, code: [1, "", "short", "x".repeat(101), "has_underscore!", "FUZZ-GIFT-SEED", "fuzzgiftseed"], currency: ["usd", "EUR", 1, "", null],
          expiresAt: [...NOT_NULL_DATETIME, "2020-01-01T00:00:00Z"], customerId: ["", "a b", 1, null, "nobody"], actor: badText(200),
        },
        idempotent: true, nested: [],
      },
      giftCardStatus("disable"),
      giftCardStatus("enable"),
      {
        name: "PUT /v1/referrals", method: "PUT", path: () => "/v1/referrals", badPaths: [], base: () => ({ settings: REFERRALS, landingUrl: "https://shop.example/join" }),
        required: ["settings", "settings.friend", "settings.referrer", "settings.referrer.on", "settings.referrer.reward"],
        bad: {
          settings: ["on", 1, [], true],
          landingUrl: ["not a url", 1, "x".repeat(2_001), ""],
          "settings.enabled": NOT_BOOL,
          "settings.attributionDays": [0, 366, 1.5, "30", null],
          "settings.friend": [null, "x", 1],
          "settings.friend.campaignId": ["", "x".repeat(65), 1, "cmp_nope"],
          "settings.friend.validDays": [0, 3_651, 1.5],
          "settings.friend.points": [-1, 1.5, "5"],
          "settings.referrer.on": ["purchase", "", 1, null],
          "settings.referrer.months": [0, 121, 1.5],
          "settings.referrer.holdDays": [-1, 366, 1.5],
          "settings.referrer.reward": [null, "x", { points: 0 }, { points: 1.5 }, { bonus: -1 }, { cash: 5 }],
          "settings.referrer.ladder": [null, "x", [{ from: 1, reward: { points: 1 } }], [{ from: 3, reward: { points: 1 } }, { from: 2, reward: { points: 1 } }], Array.from({ length: 21 }, (_, i) => ({ from: i + 2, reward: { points: 1 } }))],
          "settings.commission": ["x", 1, { percent: 0, asset: "points", months: 1 }, { percent: 10, asset: "cash", months: 1 }, { percent: 10, asset: "points" }],
          "settings.caps": [null, "x", [{ per: "hour", max: 1 }], [{ per: "day", max: 0 }], Array.from({ length: 6 }, () => ({ per: "day", max: 1 }))],
          "settings.holdSuspicious": NOT_BOOL,
        },
        idempotent: true, nested: ["settings", "settings.friend", "settings.referrer", "settings.referrer.reward"],
      },
      {
        name: "POST /v1/referrals", method: "POST", path: () => "/v1/referrals", badPaths: [],
        base: () => ({ friendId: fz.fresh("friend"), code: s.referralCode, email: "friend@example.com", device: "d-1", ip: "10.0.0.1" }), required: ["friendId", "code"],
        bad: {
          friendId: ["", "x".repeat(256), 1, null, "fz-f1"], code: ["", "x".repeat(41), 1, null, "NOPE-0000"], clickId: ["", "x".repeat(65), 1],
          email: [1, "x".repeat(321)], phone: [1, "x".repeat(41)], address: [1, "x".repeat(501)], device: [1, "x".repeat(201)], ip: [1, "x".repeat(65)],
        },
        idempotent: true, nested: [],
      },
      review("approve"),
      review("reject"),
      {
        name: "PATCH /v1/rewards/{rewardId}", method: "PATCH", path: () => `/v1/rewards/${s.mug}`,
        badPaths: ["/v1/rewards/rwd_nope", `/v1/rewards/${"x".repeat(65)}`, `/v1/rewards/${s.archivedReward}`], base: () => ({ name: "Big mug", cost: 20, stock: 50 }), required: [],
        bad: {
          name: badText(200), description: [1, true, "x".repeat(2_001)], kind: ["cash", "", 1, "free_product"], config: [null, "x", { percent: 0 }, { sku: "X" }],
          cost: [0, -1, 1.5, "100", null, 1e13], minOrder: [-1, 1.5, "x", 100], validDays: [0, 3_651, 1.5], stock: [-1, 1.5, "5"],
          perCustomer: [{}, { max: 0, per: "day" }, { max: 1, per: "hour" }, 1], condition: ["customer.", "nope == 1", "", 1], activeTo: ["tomorrow", 1, "2026-13-01T00:00:00Z"], status: ["on", "", 1, null],
        },
        idempotent: true, nested: ["perCustomer"],
      },
      {
        name: "POST /v1/rewards/{rewardId}/codes", method: "POST", path: () => `/v1/rewards/${s.spa}/codes`, badPaths: ["/v1/rewards/rwd_nope/codes", `/v1/rewards/${s.mug}/codes`],
        base: () => ({ codes: ["SPA-NEW-1", "SPA-NEW-2"] }), required: ["codes"], bad: { codes: [null, [], "SPA", [""], ["x".repeat(101)], [1], [null]], csv: ["", 1, null] }, idempotent: true, nested: [],
      },
      {
        name: "POST /v1/redemptions/{redemptionId}/cancel", method: "POST", path: () => `/v1/redemptions/${s.cancelled}/cancel`,
        badPaths: ["/v1/redemptions/red_nope/cancel", `/v1/redemptions/${"x".repeat(65)}/cancel`, `/v1/redemptions/${s.tierGift}/cancel`], base: () => ({ reason: "changed mind", actor: "ops" }), required: ["reason"],
        bad: { reason: badText(500), actor: badText(200) }, idempotent: true, nested: [],
      },
      {
        name: "POST /v1/redemptions/{redemptionId}/fulfilment", method: "POST", path: () => `/v1/redemptions/${s.cancelled}/fulfilment`,
        badPaths: ["/v1/redemptions/red_nope/fulfilment", `/v1/redemptions/${"x".repeat(65)}/fulfilment`], base: () => ({ status: "shipped" }), required: ["status"],
        bad: { status: ["pending", "cancelled", "", 1, null, "SHIPPED"] }, idempotent: true, nested: [],
      },
    ];
  }

  /** Endpoints without a body: a valid request acts, so only who asks, the path and the Idempotency-Key are fuzzed. */
  function bodilessCases(): void {
    const s = seeded;
    const unknown = (name: string, paths: string[], code: string) => {
      for (const p of paths) fz.add({ name, method: "POST" }, `unknown ${p}`, p, undefined, fz.auth, code);
    };
    const randomIds = (make: (id: string) => string) =>
      Array.from({ length: 15 }, () => make(Array.from({ length: 1 + Math.floor(fz.rand() * 60) }, () => fz.pick([..."abcdefghijklmnopqrstuvwxyz0123456789_-"])).join("")));
    for (const [name, path] of [["POST /v1/jobs/daily", "/v1/jobs/daily"], ["POST /v1/tiers/reviews", "/v1/tiers/reviews"]] as const) fz.authCases({ name, method: "POST" }, path);
    const archive = "POST /v1/stamp-cards/{cardId}/archive";
    unknown(archive, randomIds((id) => `/v1/stamp-cards/stc_${id}/archive`), "STAMP_CARD_NOT_FOUND");
    fz.add({ name: archive, method: "POST" }, "id of 65 characters", `/v1/stamp-cards/${"x".repeat(65)}/archive`, undefined, fz.auth, "VALIDATION_FAILED");
    fz.authCases({ name: archive, method: "POST" }, `/v1/stamp-cards/${s.cards.enabled}/archive`);
    fz.idempotencyCases({ name: archive, method: "POST" }, `/v1/stamp-cards/${s.cards.enabled}/archive`);
    for (const action of ["disable", "key"]) {
      const name = `POST /v1/staff/{staffId}/${action}`;
      unknown(name, randomIds((id) => `/v1/staff/stf_${id}/${action}`), "STAFF_NOT_FOUND");
      fz.add({ name, method: "POST" }, "id of 65 characters", `/v1/staff/${"x".repeat(65)}/${action}`, undefined, fz.auth, "VALIDATION_FAILED");
      fz.authCases({ name, method: "POST" }, `/v1/staff/${s.staff.active}/${action}`);
      fz.idempotencyCases({ name, method: "POST" }, `/v1/staff/${s.staff.active}/${action}`);
    }
    fz.add({ name: "POST /v1/staff/{staffId}/key", method: "POST" }, "a disabled member", `/v1/staff/${s.staff.disabled}/key`, undefined, fz.auth, "STAFF_NOT_ACTIVE");
  }

  /** Well-formed requests the program's state refuses, each with the code it must get (no Idempotency-Key: see fuzz.db.test.ts). */
  function refusedCases(): void {
    const s = seeded;
    const refuse = (name: string, method: string, path: string, body: unknown, code: string) => fz.add({ name, method }, `refused: ${code}`, path, serialise(body), fz.json, code);
    refuse("PUT /v1/tiers", "PUT", "/v1/tiers", { tiers: { ...TIERS(s.mug), levels: [TIERS(s.mug).levels[1]] } }, "TIERS_INVALID"); // Silver is held
    refuse("PUT /v1/tiers", "PUT", "/v1/tiers", { tiers: TIERS(s.credit) }, "TIERS_INVALID");
    refuse("PUT /v1/customers/{externalId}/tier", "PUT", "/v1/customers/fz-c1/tier", { tier: "platinum", reason: "x" }, "TIER_NOT_FOUND");
    refuse("PUT /v1/customers/{externalId}/tier", "PUT", "/v1/customers/nobody/tier", { tier: "gold", reason: "x" }, "CUSTOMER_NOT_FOUND");
    refuse("POST /v1/tiers/import", "POST", "/v1/tiers/import", { customers: [{ customerId: "fz-new-1", tier: "gold" }, { customerId: "fz-new-2", tier: "diamond" }] }, "TIER_NOT_FOUND");
    refuse("POST /v1/stamp-cards", "POST", "/v1/stamp-cards", { name: "C", stamps: 5, per: "unit", reward: { kind: "reward", rewardId: s.credit } }, "STAMP_CARD_INVALID");
    refuse("PATCH /v1/stamp-cards/{cardId}", "PATCH", `/v1/stamp-cards/${s.cards.archived}`, { name: "Back" }, "STAMP_CARD_INVALID");
    refuse("POST /v1/staff", "POST", "/v1/staff", { name: "Dup", pin: "2468" }, "STAFF_PIN_TAKEN");
    const confirm = (body: Record<string, unknown>, code: string) => refuse("POST /v1/staff/confirmations", "POST", "/v1/staff/confirmations", { id: fz.fresh("conf"), customerId: "fz-c1", action: { kind: "stamp", cardId: s.cards.enabled }, ...body }, code);
    confirm({ pin: "0000" }, "STAFF_PIN_INVALID");
    confirm({ pin: "1357" }, "STAFF_PIN_INVALID");
    confirm({ key: `stk_${"b".repeat(40)}` }, "STAFF_KEY_INVALID");
    confirm({ pin: "2468", customerId: "nobody" }, "CUSTOMER_NOT_FOUND");
    confirm({ pin: "2468", action: { kind: "stamp", cardId: s.cards.disabled } }, "STAMP_CARD_DISABLED");
    confirm({ pin: "2468", action: { kind: "stamp", cardId: s.cards.archived } }, "STAMP_CARD_NOT_FOUND");
    confirm({ id: "seed-conf", pin: "2468" }, "IDEMPOTENCY_CONFLICT");
    refuse("POST /v1/customers/{externalId}/wallet/adjustments", "POST", "/v1/customers/fz-c1/wallet/adjustments", { asset: "bonus", amount: -1_000_000, reason: "x" }, "INSUFFICIENT_FUNDS");
    refuse("POST /v1/customers/{externalId}/payouts", "POST", "/v1/customers/fz-c1/payouts", { amount: 9_000 }, "INSUFFICIENT_FUNDS");
    refuse("POST /v1/customers/{externalId}/payouts", "POST", "/v1/customers/fz-c1/payouts", { amount: 50 }, "PAYOUT_INVALID");
    for (const action of ["approve", "pay", "reject"]) refuse(`POST /v1/payouts/{payoutId}/${action}`, "POST", `/v1/payouts/${s.paidPayout}/${action}`, { reason: "late" }, "PAYOUT_STATE_CONFLICT");
    refuse("POST /v1/gift-cards", "POST", "/v1/gift-cards", { amount: 100, code: "fuzz gift seed" }, "CODE_TAKEN");
    refuse("POST /v1/gift-cards", "POST", "/v1/gift-cards", { amount: 100, currency: "EUR" }, "CURRENCY_MISMATCH");
    refuse("POST /v1/gift-cards", "POST", "/v1/gift-cards", { amount: 100, customerId: "nobody" }, "CUSTOMER_NOT_FOUND");
    refuse("POST /v1/gift-cards/{code}/disable", "POST", "/v1/gift-cards/NOPE-NOPE-NOPE/disable", {}, "GIFT_CARD_NOT_FOUND");
    refuse("PUT /v1/referrals", "PUT", "/v1/referrals", { settings: { ...REFERRALS, friend: { ...REFERRALS.friend, campaignId: "cmp_nope" } } }, "REFERRALS_INVALID");
    refuse("POST /v1/referrals", "POST", "/v1/referrals", { friendId: fz.fresh("friend"), code: "NOPE-0000" }, "REFERRAL_CODE_UNKNOWN");
    refuse("POST /v1/referrals", "POST", "/v1/referrals", { friendId: "fz-f1", code: s.referralCode }, "ALREADY_REFERRED");
    refuse("POST /v1/referrals/{referralId}/approve", "POST", `/v1/referrals/${s.referral}/approve`, { reason: "x" }, "REFERRAL_NOT_HELD");
    refuse("POST /v1/referrals/{referralId}/reject", "POST", "/v1/referrals/rfl_nope/reject", { reason: "x" }, "REFERRAL_NOT_FOUND");
    refuse("PATCH /v1/rewards/{rewardId}", "PATCH", `/v1/rewards/${s.archivedReward}`, { name: "Back" }, "REWARD_INVALID");
    refuse("PATCH /v1/rewards/{rewardId}", "PATCH", `/v1/rewards/${s.mug}`, { kind: "free_product" }, "REWARD_INVALID");
    refuse("POST /v1/rewards/{rewardId}/codes", "POST", `/v1/rewards/${s.mug}/codes`, { codes: ["X-1"] }, "REWARD_INVALID");
    refuse("POST /v1/redemptions/{redemptionId}/cancel", "POST", `/v1/redemptions/${s.cancelled}/cancel`, { reason: "x" }, "REDEMPTION_NOT_CANCELLABLE");
    refuse("POST /v1/redemptions/{redemptionId}/cancel", "POST", `/v1/redemptions/${s.tierGift}/cancel`, { reason: "x" }, "REDEMPTION_NOT_CANCELLABLE");
    refuse("POST /v1/redemptions/{redemptionId}/fulfilment", "POST", `/v1/redemptions/${s.cancelled}/fulfilment`, { status: "shipped" }, "REDEMPTION_NOT_CANCELLABLE");
  }

  it("answers at least 1,000 malformed requests with a 4xx and a known code, never a 5xx", { timeout: 120_000 }, async () => {
    const all = specs();
    fz.specCases(all);
    fz.randomCases(all, 300);
    bodilessCases();
    refusedCases();
    expect(fz.cases.length).toBeGreaterThanOrEqual(1_000);
    const started = performance.now();
    results = await runCases(api, fz.cases);
    const perEndpoint = countByEndpoint(results);
    console.info(`fuzz (seed ${fz.seed}): ${results.length} requests in ${Math.round(performance.now() - started)} ms; ${JSON.stringify(Object.fromEntries(perEndpoint))}`);
    expect(problemsOf(results), `seed ${fz.seed}`).toEqual([]);
    expect([...perEndpoint.keys()].sort()).toEqual(
      [
        ...all.map((s) => s.name), "POST /v1/jobs/daily", "POST /v1/tiers/reviews", "POST /v1/stamp-cards/{cardId}/archive", "POST /v1/staff/{staffId}/disable", "POST /v1/staff/{staffId}/key",
      ].sort(),
    );
  });

  it("leaves every table exactly as it was", async () => {
    expect(results.length).toBeGreaterThanOrEqual(1_000);
    const after = await snapshotTables(api);
    expect(Object.fromEntries(Object.entries(after).map(([t, v]) => [t, v.count]))).toEqual(Object.fromEntries(Object.entries(before).map(([t, v]) => [t, v.count])));
    for (const t of Object.keys(before)) expect(after[t]!.rows, t).toBe(before[t]!.rows);
  });
});
