import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/** Referrals through the API (issue 7): codes and links, attribution, self-referral checks, review, rewards at signup. */
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

const SETTINGS = (over: Record<string, unknown> = {}) => ({
  enabled: true,
  attributionDays: 30,
  friend: { campaignId: null, validDays: 30, points: 50 },
  referrer: { on: "signup", holdDays: 14, reward: { points: 100 }, ladder: [{ from: 3, reward: { points: 150 } }] },
  caps: [{ per: "month", max: 5 }],
  ...over,
});

async function setup(clock = new FakeClock(new Date("2026-05-04T03:00:00Z")), settings = SETTINGS(), http: { clickRateLimit?: number; trustProxy?: boolean } = {}) {
  const api = await testApi({ database, clock, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh", defaultCountry: "VN" }, ...http });
  const put = await api.call("PUT", "/v1/referrals", { settings, landingUrl: "https://shop.example/join" });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const anna = await api.call("PUT", "/v1/customers/anna", { name: "Anna Berg", email: "anna.berg@gmail.com", phone: "+84901234567", attributes: { address: "12 Lý Thường Kiệt, Q.10", device: "dev-anna" } });
  expect(anna.status, JSON.stringify(anna.body)).toBeLessThan(300);
  return api;
}

const balances = async (api: TestApi, c: string) => (await api.call("GET", `/v1/customers/${c}/balances`)).body;

describe("referral codes, links and attribution", () => {
  it("gives a stable readable code, records link visits, and attributes the friend by the click (first touch)", async () => {
    const api = await setup();
    const me = await api.call("GET", "/v1/customers/anna/referral");
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.code).toMatch(/^ANNA-[2-9A-Z]{4}$/);
    expect((await api.call("GET", "/v1/customers/anna/referral")).body.code).toBe(me.body.code);
    expect(me.body.linkPath).toBe(`/r/${api.programId}/${me.body.code}`);
    expect(me.body.link).toBeNull(); // no PATRON_PUBLIC_URL: the store prefixes the path itself

    const visit = await api.raw({ method: "GET", path: me.body.linkPath, headers: { "x-forwarded-for": "203.0.113.9", "user-agent": "phone" } });
    expect(visit.status).toBe(302);
    const to = new URL(visit.headers.get("location")!);
    expect(to.origin + to.pathname).toBe("https://shop.example/join");
    expect(to.searchParams.get("ref")).toBe(me.body.code);
    const clickId = to.searchParams.get("click")!;
    expect(clickId).toMatch(/^clk_/);
    // An unknown code still lands, without a claim.
    const dead = await api.raw({ method: "GET", path: `/r/${api.programId}/NOPE-2222` });
    expect(new URL(dead.headers.get("location")!).searchParams.get("click")).toBeNull();

    const r = await api.call("POST", "/v1/referrals", { friendId: "binh", clickId, code: "SOMEONE-ELSE", email: "binh@example.com" }, { "idempotency-key": "ref-binh" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ referrerId: "anna", friendId: "binh", status: "attributed", flags: [], friendPoints: 50, referrerReward: { reward: { points: 100, sequence: 1, availableAt: "2026-05-18T03:00:00.000Z" } } });
    // The friend's points are available; the referrer's wait out the hold.
    expect(await balances(api, "binh")).toMatchObject({ available: 50 });
    expect(await balances(api, "anna")).toMatchObject({ available: 0, pending: 100 });
    // A replay answers the same; a second attribution of the same friend is refused.
    expect((await api.call("POST", "/v1/referrals", { friendId: "binh", clickId, code: "SOMEONE-ELSE", email: "binh@example.com" }, { "idempotency-key": "ref-binh" })).headers.get("idempotent-replayed")).toBe("true");
    expect((await api.call("POST", "/v1/referrals", { friendId: "binh", code: me.body.code })).body.code).toBe("ALREADY_REFERRED");
    expect((await api.call("POST", "/v1/referrals", { friendId: "chi", code: "ZZZZ-9999" })).body.code).toBe("REFERRAL_CODE_UNKNOWN");

    const stats = (await api.call("GET", "/v1/customers/anna/referral")).body;
    expect(stats).toMatchObject({ clicks: 1, signups: 1, converted: 1, blocked: 0, held: 0, rewards: { pending: { points: 100, bonus: 0 } }, ladder: { step: 0, next: { from: 3, remaining: 2 } } });
    await api.close();
  });

  it("a reload of the link by the same visitor within a day is the same click; another device or the next day is a new one", async () => {
    const clock = new FakeClock(new Date("2026-05-04T03:00:00Z"));
    const api = await setup(clock, SETTINGS(), { trustProxy: true });
    const path = (await api.call("GET", "/v1/customers/anna/referral")).body.linkPath as string;
    const click = async (ip: string, device: string) => {
      const r = await api.raw({ method: "GET", path, headers: { "x-forwarded-for": ip, "user-agent": device } });
      expect(r.status).toBe(302);
      return new URL(r.headers.get("location")!).searchParams.get("click");
    };
    const first = await click("203.0.113.9", "phone");
    clock.set(new Date("2026-05-04T04:00:00Z"));
    expect(await click("203.0.113.9", "phone")).toBe(first);
    expect(await click("203.0.113.9", "laptop")).not.toBe(first);
    expect(await click("198.51.100.1", "phone")).not.toBe(first);
    clock.advanceDays(1);
    expect(await click("203.0.113.9", "phone")).not.toBe(first);
    expect((await api.call("GET", "/v1/customers/anna/referral")).body.clicks).toBe(4);
    await api.close();
  });

  it("limits link visits per visitor address (PATRON_CLICK_RATE_LIMIT), taken from X-Forwarded-For behind a trusted proxy", async () => {
    const clock = new FakeClock(new Date("2026-05-04T03:00:00Z"));
    const api = await setup(clock, SETTINGS(), { clickRateLimit: 2, trustProxy: true });
    const path = (await api.call("GET", "/v1/customers/anna/referral")).body.linkPath as string;
    const visit = (ip: string) => api.raw({ method: "GET", path, headers: { "x-forwarded-for": ip } });
    // A burst of twice the rate, then 429 with Retry-After; another visitor is not held back.
    for (let k = 0; k < 4; k++) expect((await visit("203.0.113.9")).status).toBe(302);
    const limited = await visit("203.0.113.9");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(((await limited.json()) as { code: string }).code).toBe("RATE_LIMITED");
    expect((await visit("198.51.100.1")).status).toBe(302);
    clock.set(new Date("2026-05-04T03:00:01Z"));
    expect((await visit("203.0.113.9")).status).toBe(302);
    await api.close();
  });

  it("without a trusted proxy X-Forwarded-For is the client's own word: not recorded as the visitor's address", async () => {
    const api = await setup();
    const path = (await api.call("GET", "/v1/customers/anna/referral")).body.linkPath as string;
    const r = await api.raw({ method: "GET", path, headers: { "x-forwarded-for": "203.0.113.9", "user-agent": "phone" } });
    const clickId = new URL(r.headers.get("location")!).searchParams.get("click");
    const [row] = await rows<{ ip: string | null; device: string | null }>(api.ctx.db, sql`select ip, device from referral_clicks where id = ${clickId}`);
    expect(row).toEqual({ ip: null, device: "phone" }); // in process there is no socket address
    await api.close();
  });

  it("blocks every self-referral variant and holds the merely suspicious ones for review", async () => {
    const api = await setup();
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;
    const attempt = async (friendId: string, extra: Record<string, unknown>) => (await api.call("POST", "/v1/referrals", { friendId, code, ...extra })).body;
    expect(await attempt("anna", {})).toMatchObject({ status: "blocked", flags: ["SELF_REFERRAL", "SAME_EMAIL", "SAME_PHONE", "SAME_ADDRESS", "SAME_DEVICE"] });
    expect(await attempt("f-mail", { email: "Anna.Berg+2@gmail.com" })).toMatchObject({ status: "blocked", flags: ["SAME_EMAIL"] });
    expect(await attempt("f-phone", { phone: "090 123 4567" })).toMatchObject({ status: "blocked", flags: ["SAME_PHONE"] });
    expect(await attempt("f-addr", { address: "12 ly thuong kiet q10" })).toMatchObject({ status: "held", flags: ["SAME_ADDRESS"] });
    expect(await attempt("f-dev", { device: "dev-anna" })).toMatchObject({ status: "held", flags: ["SAME_DEVICE"] });
    await api.call("PUT", "/v1/customers/anna", { attributes: { address: "12 Lý Thường Kiệt, Q.10", device: "dev-anna", ip: "198.51.100.7" } });
    const ip = await attempt("f-ip", { ip: "198.51.100.7" });
    expect(ip).toMatchObject({ status: "held", flags: ["SAME_IP"] });
    // A friend who already bought is not new.
    await api.call("POST", "/v1/events", { id: "old-1", type: "order.completed", customerId: "old", data: { orderId: "old-o1", currency: "VND", lines: [{ sku: "x", quantity: 1, unitPrice: 10_000 }] } });
    expect(await attempt("old", {})).toMatchObject({ status: "blocked", flags: ["FRIEND_NOT_NEW"] });
    // None of them earned anything.
    expect(await balances(api, "anna")).toMatchObject({ available: 0, pending: 0 });
    for (const f of ["f-mail", "f-phone", "f-addr", "f-dev", "f-ip"]) expect((await balances(api, f)).available).toBe(0);

    // The review queue lists the held ones with their reasons, newest first, a page at a time.
    const queue = (await api.call("GET", "/v1/referrals/entries?status=held&limit=2")).body;
    expect(queue.data.map((r: { friendId: string; flags: string[]; referrerId: string }) => [r.friendId, r.flags, r.referrerId])).toEqual([["f-ip", ["SAME_IP"], "anna"], ["f-dev", ["SAME_DEVICE"], "anna"]]);
    const rest = (await api.call("GET", `/v1/referrals/entries?status=held&limit=2&cursor=${queue.nextCursor}`)).body;
    expect(rest).toMatchObject({ data: [{ friendId: "f-addr", status: "held" }], nextCursor: null });
    expect((await api.call("GET", "/v1/referrals/entries?status=blocked")).body.data.map((r: { friendId: string }) => r.friendId)).toEqual(["old", "f-phone", "f-mail", "anna"]);
    expect((await api.call("GET", "/v1/referrals/entries?referrerId=nobody")).body.data).toEqual([]);
    expect((await api.call("GET", "/v1/referrals/entries?status=nope")).status).toBe(400);
    expect((await api.call("GET", "/v1/referrals/entries?cursor=bad")).body.code).toBe("INVALID_CURSOR");

    // A person approves the IP one (a shared office): the friend gets their points now.
    const ok = await api.call("POST", `/v1/referrals/${ip.referralId}/approve`, { reason: "same office, checked" });
    expect(ok.body).toEqual({ referralId: ip.referralId, status: "attributed" });
    expect(await balances(api, "f-ip")).toMatchObject({ available: 50 });
    expect((await api.call("POST", `/v1/referrals/${ip.referralId}/reject`, { reason: "again" })).body.code).toBe("REFERRAL_NOT_HELD");
    expect((await api.call("GET", "/v1/referrals/funnel")).body).toMatchObject({ signups: 1, blocked: 4, held: 2 });
    await api.close();
  });

  it("steps up the ladder and stops at the monthly cap", async () => {
    const api = await setup();
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;
    const rewards: unknown[] = [];
    for (let i = 1; i <= 6; i++) rewards.push((await api.call("POST", "/v1/referrals", { friendId: `friend-${i}`, code })).body.referrerReward);
    expect(rewards.map((r) => (r as { reward?: { points: number } }).reward?.points ?? (r as { skipped: string }).skipped)).toEqual([100, 100, 150, 150, 150, "REFERRER_CAP_REACHED"]);
    expect(await balances(api, "anna")).toMatchObject({ pending: 650 });
    await api.close();
  });

  it("refuses a friend id that no other endpoint would take (VALIDATION_FAILED): no customer, no reward", async () => {
    const api = await setup();
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;
    for (const friendId of ["a b", ".", "é", "x\ny"]) {
      const r = await api.call("POST", "/v1/referrals", { friendId, code });
      expect(r.status, friendId).toBe(400);
      expect(r.body.details.issues[0].path).toBe("friendId");
    }
    expect((await api.call("GET", "/v1/customers/anna/referral")).body.signups).toBe(0);
    expect((await balances(api, "anna")).pending).toBe(0);
    await api.close();
  });

  it("refuses settings that cannot work, naming the field", async () => {
    const api = await testApi({ database });
    expect((await api.call("GET", "/v1/customers/x/referral")).body.code).toBe("REFERRALS_NOT_CONFIGURED");
    const bad = await api.call("PUT", "/v1/referrals", { settings: SETTINGS({ friend: { campaignId: "cmp_nope", validDays: 30, points: 0 } }) });
    expect(bad.body).toMatchObject({ code: "REFERRALS_INVALID", details: { field: "friend.campaignId" } });
    const ladder = await api.call("PUT", "/v1/referrals", { settings: SETTINGS({ referrer: { on: "every_order", holdDays: 0, reward: { points: 1 } } }) });
    expect(ladder.body).toMatchObject({ code: "REFERRALS_INVALID", details: { field: "referrer.months" } });
    // The link's visitors are sent to the landing URL: only http and https (javascript: passed as a URL).
    for (const landingUrl of ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>", "ftp://shop.example/join"]) {
      const r = await api.call("PUT", "/v1/referrals", { settings: SETTINGS(), landingUrl });
      expect(r.status, landingUrl).toBe(400);
      expect(r.body.message).toContain("an http:// or https:// URL");
    }
    expect((await api.call("PUT", "/v1/referrals", { settings: SETTINGS(), landingUrl: "HTTPS://shop.example/join" })).status).toBe(200);
    await api.close();
  });

  it("refuses a referrer reward, or a ladder step's, that gives nothing ({}), naming the field, and keeps the settings", async () => {
    const api = await setup();
    const cases = [
      { referrer: { on: "signup", holdDays: 14, reward: {} }, path: "settings.referrer.reward" },
      { referrer: { on: "signup", holdDays: 14, reward: { points: 100 }, ladder: [{ from: 3, reward: {} }] }, path: "settings.referrer.ladder.0.reward" },
    ];
    for (const c of cases) {
      const r = await api.call("PUT", "/v1/referrals", { settings: SETTINGS({ referrer: c.referrer }), landingUrl: null });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: c.path, message: expect.stringContaining("points or bonus") }] } });
    }
    expect((await api.call("GET", "/v1/referrals")).body.settings.referrer.reward).toEqual({ points: 100 });
    await api.close();
  });
});

describe("story 4: the friend gets 10% off the first order; the referrer is rewarded after the return window, more with each referral, plus a commission", () => {
  it("converts on the first order, holds the reward, cancels it on a refund within the hold, steps the ladder and pays a capped commission", async () => {
    const clock = new FakeClock(new Date("2026-05-04T03:00:00Z"));
    const api = await testApi({ database, clock, program: { currency: "VND", timeZone: "Asia/Ho_Chi_Minh", defaultCountry: "VN" } });
    const friendOffer = await api.call("POST", "/v1/campaigns", { name: "Friend: 10% off the first order", kind: "bulk_codes", condition: "customer.metrics.lifetimeOrders == 0", effects: [{ kind: "order_percent", percent: 10 }], stacking: "stackable", priority: 10 });
    expect(friendOffer.status, JSON.stringify(friendOffer.body)).toBe(201);
    const put = await api.call("PUT", "/v1/referrals", {
      settings: SETTINGS({
        friend: { campaignId: friendOffer.body.id, validDays: 30, points: 0 },
        referrer: { on: "first_order", holdDays: 14, reward: { points: 100 }, ladder: [{ from: 2, reward: { points: 200 } }] },
        commission: { percent: 5, asset: "bonus", months: 6, capPerFriend: 10_000 },
      }),
      landingUrl: null,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await api.call("PUT", "/v1/customers/anna", { name: "Anna" });
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;

    const dung = (await api.call("POST", "/v1/referrals", { friendId: "dung", code })).body;
    expect(dung).toMatchObject({ status: "attributed", friendCode: { expiresAt: "2026-06-03T03:00:00.000Z" } });
    const cart = await api.call("POST", "/v1/carts/evaluate", { customerId: "dung", codes: [dung.friendCode.code], lines: [{ sku: "PHO", quantity: 2, unitPrice: 100_000 }] });
    expect(cart.body).toMatchObject({ subtotal: 200_000, discount: 20_000, total: 180_000 });
    // Someone else cannot use the friend's personal code.
    expect((await api.call("POST", "/v1/carts/evaluate", { customerId: "anna", codes: [dung.friendCode.code], lines: [{ sku: "PHO", quantity: 1, unitPrice: 100_000 }] })).body.discount).toBe(0);

    const order = (id: string, customerId: string, total: number) => api.call("POST", "/v1/events", { id, type: "order.completed", customerId, data: { orderId: id, currency: "VND", lines: [{ sku: "PHO", quantity: 1, unitPrice: total }] } });
    const first = await order("d-1", "dung", 180_000);
    expect(first.body.effects.referral).toEqual({ referralId: dung.referralId, referrerId: "anna", reward: { points: 100, bonus: 0, sequence: 1, availableAt: "2026-05-18T03:00:00.000Z" }, commission: { points: 0, bonus: 9_000, availableAt: "2026-05-18T03:00:00.000Z" } });
    // A later order converts nothing more; its commission stops at the 10,000 cap per friend.
    expect((await order("d-2", "dung", 100_000)).body.effects.referral).toMatchObject({ commission: { bonus: 1_000 } });
    expect((await order("d-3", "dung", 100_000)).body.effects.referral).toBeUndefined();
    // A third of the first order comes back within the hold: a third of its commission goes too; the conversion stays.
    const part = await api.call("POST", "/v1/events", { id: "d-1-p", type: "order.refunded", customerId: "dung", data: { orderId: "d-1", refundId: "d-1-p", amount: 60_000 } });
    expect(part.body.effects.referralCommissionTakenBack).toEqual({ points: 0, bonus: 3_000 });
    expect(part.body.effects.referralRewardsCancelled).toBeUndefined();
    expect((await api.call("GET", "/v1/customers/anna/wallet")).body.bonus.pending).toBe(7_000);
    // The freed cap per friend pays on the next order again (10,000 - 7,000 left of it).
    expect((await order("d-4", "dung", 200_000)).body.effects.referral).toMatchObject({ commission: { bonus: 3_000 } });

    // A second friend: the ladder's second step, 200 points; refunded in full within the hold, it is cancelled.
    await api.call("POST", "/v1/referrals", { friendId: "em", code });
    expect((await order("e-1", "em", 50_000)).body.effects.referral.reward).toMatchObject({ points: 200, sequence: 2 });
    expect((await api.call("GET", "/v1/customers/anna/balances")).body).toMatchObject({ available: 0, pending: 300 });
    const refund = await api.call("POST", "/v1/events", { id: "e-1-r", type: "order.refunded", customerId: "em", data: { orderId: "e-1", refundId: "e-1-r" } });
    expect(refund.body.effects.referralRewardsCancelled).toBe(2); // the reward and the commission
    expect((await api.call("GET", "/v1/customers/anna/balances")).body).toMatchObject({ available: 0, pending: 100 });

    // After the hold the reward is Anna's, and a refund no longer takes it back.
    clock.set("2026-05-19T03:00:00Z");
    await api.call("POST", "/v1/ledger/settle");
    const stats = (await api.call("GET", "/v1/customers/anna/referral")).body;
    expect(stats).toMatchObject({ signups: 2, converted: 2, rewards: { available: { points: 100, bonus: 10_000 }, cancelled: { points: 200, bonus: 2_500 } }, ladder: { step: 0, next: { from: 2, remaining: 1 } } });
    const late = await api.call("POST", "/v1/events", { id: "d-1-r", type: "order.refunded", customerId: "dung", data: { orderId: "d-1", refundId: "d-1-r" } });
    expect(late.body.effects.referralRewardsCancelled).toBeUndefined();
    await api.close();
  });
});

describe("story 13 (the referral part): signups through a shared link, with the welcome points of the rules", () => {
  it("attributes friends from their customer.signed_up events, gives the friend's 10% code, and rewards the referrer after the hold", async () => {
    const clock = new FakeClock(new Date("2026-05-04T03:00:00Z"));
    const api = await testApi({ database, clock, publicUrl: "https://loyalty.beanshop.example", program: { name: "Bean Shop", pointsSingular: "Bean", pointsPlural: "Beans", currency: "VND", timeZone: "Asia/Ho_Chi_Minh", defaultCountry: "VN", earning: { enabled: true, points: 1, per: 10_000, rounding: "floor" } } });
    expect((await api.call("PATCH", "/v1/program", { pointValue: { money: 100, points: 1 } })).status).toBe(200);
    expect((await api.call("POST", "/v1/rules", { name: "Welcome", trigger: { event: "customer.signed_up" }, effect: { kind: "fixed", worth: 20_000 }, limits: [{ per: "lifetime", maxAwards: 1 }] })).status).toBe(201);
    const offer = await api.call("POST", "/v1/campaigns", { name: "Friend: 10% off the first order", kind: "bulk_codes", condition: "customer.metrics.lifetimeOrders == 0", effects: [{ kind: "order_percent", percent: 10 }], stacking: "stackable", priority: 10 });
    const put = await api.call("PUT", "/v1/referrals", {
      settings: SETTINGS({ friend: { campaignId: offer.body.id, validDays: 30, points: 0 }, referrer: { on: "first_order", holdDays: 14, reward: { points: 100 }, ladder: [] } }),
      landingUrl: "https://beanshop.example/join",
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const signup = (id: string, customerId: string, data: Record<string, unknown>) => api.call("POST", "/v1/events", { id, type: "customer.signed_up", customerId, data });

    expect((await signup("s-hoa", "hoa", { email: "hoa@example.vn", name: "Hoa" })).body.effects.awards[0]).toMatchObject({ name: "Welcome", points: 200 });
    const hoa = (await api.call("GET", "/v1/customers/hoa/referral")).body;
    expect(hoa.link).toBe(`https://loyalty.beanshop.example${hoa.linkPath}`);
    const link = hoa.linkPath as string;
    const clickId = new URL((await api.raw({ method: "GET", path: link })).headers.get("location")!).searchParams.get("click")!;

    // The friend signs up through the link: the signup earns its welcome Beans and is attributed.
    const khanh = await signup("s-khanh", "khanh", { email: "khanh@example.vn", referral: { clickId, device: "dev-k" } });
    expect(khanh.status, JSON.stringify(khanh.body)).toBe(200);
    expect(khanh.body.effects.awards[0]).toMatchObject({ points: 200 });
    expect(khanh.body.effects.attribution).toMatchObject({ referrerId: "hoa", friendId: "khanh", status: "attributed", flags: [], friendCode: { code: expect.any(String) } });
    const friendCode = khanh.body.effects.attribution.friendCode.code as string;
    const cart = await api.call("POST", "/v1/carts/evaluate", { customerId: "khanh", codes: [friendCode], lines: [{ sku: "BEAN-1KG", quantity: 1, unitPrice: 350_000 }] });
    expect(cart.body).toMatchObject({ subtotal: 350_000, discount: 35_000, total: 315_000 });
    const first = await api.call("POST", "/v1/events", { id: "o-k1", type: "order.completed", customerId: "khanh", data: { orderId: "o-k1", currency: "VND", lines: [{ sku: "BEAN-1KG", quantity: 1, unitPrice: 350_000, discount: 35_000 }] } });
    expect(first.body.effects).toMatchObject({ pointsEarned: 31, referral: { referrerId: "hoa", reward: { points: 100, sequence: 1, availableAt: "2026-05-18T03:00:00.000Z" } } });

    // Refusals are reported on the signup, which is accepted all the same (and earns its Beans once).
    const again = await signup("s-khanh-2", "khanh", { referral: { code: "HOA-2222" } });
    expect(again.body.effects.attribution.error.code).toBe("REFERRAL_CODE_UNKNOWN");
    const dup = await signup("s-khanh-3", "khanh", { referral: { clickId } });
    expect(dup.body.effects.attribution.error.code).toBe("ALREADY_REFERRED");
    expect(dup.body.effects.awards).toBeUndefined();
    // Hoa's second account (the same mailbox) earns nothing for her.
    const self = await signup("s-hoa2", "hoa-2", { email: "HOA@example.vn", referral: { clickId } });
    expect(self.body.effects.attribution).toMatchObject({ status: "blocked", flags: ["SAME_EMAIL"], friendCode: null });

    // A signup and a first order in one batch: the order converts.
    const code = (await api.call("GET", "/v1/customers/hoa/referral")).body.code as string;
    const batch = await api.call("POST", "/v1/events/batch", { events: [
      { id: "s-lan", type: "customer.signed_up", customerId: "lan", data: { email: "lan@example.vn", referral: { code } } },
      { id: "o-l1", type: "order.completed", customerId: "lan", data: { orderId: "o-l1", currency: "VND", lines: [{ sku: "BEAN-250G", quantity: 1, unitPrice: 120_000 }] } },
    ] });
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    expect(batch.body.results[0].effects.attribution).toMatchObject({ status: "attributed" });
    expect(batch.body.results[1].effects.referral).toMatchObject({ reward: { points: 100, sequence: 2 } });

    expect((await balances(api, "hoa")).pending).toBe(200);
    clock.set("2026-05-19T03:00:00Z");
    await api.call("POST", "/v1/ledger/settle");
    expect(await balances(api, "hoa")).toMatchObject({ available: 400, pending: 0 });
    expect((await api.call("GET", "/v1/customers/hoa/referral")).body).toMatchObject({ clicks: 1, signups: 2, converted: 2, blocked: 1 });
    await api.close();
  });
});

describe("erasing a referrer", () => {
  it("the results of their friends' events name them by the opaque id afterwards, stored and replayed", async () => {
    const api = await setup();
    const code = (await api.call("GET", "/v1/customers/anna/referral")).body.code as string;
    const event = { id: "s-erase-friend", type: "customer.signed_up", customerId: "erase-friend", data: { email: "friend@example.vn", referral: { code, device: "dev-f" } } };
    const signup = await api.call("POST", "/v1/events", event);
    expect(signup.body.effects.attribution).toMatchObject({ referrerId: "anna", status: "attributed" });
    const annaId = (await api.call("GET", "/v1/customers/anna")).body.id as string;

    expect((await api.call("POST", "/v1/customers/anna/erase", { reason: "GDPR request" })).status).toBe(200);
    const [row] = await rows<{ response: string }>(database.db, sql`select response from events where program_id = ${api.programId} and external_id = ${event.id}`);
    expect(row!.response).not.toContain('"anna"');
    expect(JSON.parse(row!.response).effects.attribution.referrerId).toBe(annaId);
    const replay = await api.call("POST", "/v1/events", event);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.effects.attribution.referrerId).toBe(annaId);
  });
});
