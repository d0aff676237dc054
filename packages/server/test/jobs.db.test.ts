import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/connect.ts";
import { startJobQueue, DAILY_CRON } from "../src/jobs/job-queue.ts";
import { settleProgram } from "../src/app/ledger/settle-holdings.ts";
import { FakeClock, testApi, testDatabase, type TestApi } from "./harness.ts";

/** Each program's daily job (expiry, tier reviews, birthdays) and the job queue that schedules it. */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

const shop = (clock: FakeClock, timeZone = "Asia/Ho_Chi_Minh") =>
  testApi({
    database,
    clock,
    program: { name: "Shop", currency: "VND", timeZone, earning: { enabled: true, points: 1, per: 1_000, rounding: "floor" }, ledgerPolicy: { pendingDays: 0, expiry: { kind: "days", days: 30 }, clawback: "allow_negative" } },
  });

const order = (id: string, customerId: string, total: number) => ({ id, type: "order.completed", customerId, data: { orderId: id, currency: "VND", lines: [{ sku: "LAT", quantity: 1, unitPrice: total }] } });

async function earnSome(api: TestApi, customers: string[]) {
  for (const c of customers) expect((await api.call("POST", "/v1/events", order(`o-${c}`, c, 120_000))).status).toBe(200);
}

const expiries = async (api: TestApi, c: string) =>
  (await api.call("GET", `/v1/customers/${c}/transactions?type=expiry`)).body.data as { type: string; postings: { amount: number }[] }[];

describe("the daily job", () => {
  it("expires the lots whose date has come, once, even when two runs race, and keeps a history per local date", async () => {
    const clock = new FakeClock(new Date("2026-05-01T03:00:00Z"));
    const api = await shop(clock);
    await earnSome(api, ["an", "binh", "chi"]);
    clock.advanceDays(29);
    const early = (await api.call("POST", "/v1/jobs/daily")).body;
    expect(early).toMatchObject({ date: "2026-05-30", settled: { transactions: 0 } });

    clock.set("2026-05-31T17:05:00Z"); // 00:05 on 1 June in Ho Chi Minh City: the lots of 1 May are past their 30 days
    const [a, b] = await Promise.all([api.call("POST", "/v1/jobs/daily"), api.call("POST", "/v1/jobs/daily")]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.date).toBe("2026-06-01");
    expect(a.body.settled.transactions + b.body.settled.transactions).toBe(3);
    // Each customer is counted by the run that settled them: the other run counted them too, and said
    // {transactions: 0, customers: 3}.
    expect(a.body.settled.customers + b.body.settled.customers).toBe(3);
    for (const c of ["an", "binh", "chi"]) {
      const e = await expiries(api, c);
      expect(e, c).toHaveLength(1);
      expect(e[0]!.postings.reduce((n, p) => n + p.amount, 0)).toBe(120);
      expect((await api.call("GET", `/v1/customers/${c}/balances`)).body.available).toBe(0);
    }
    // Σ expired equals the points left in lots past their date: nothing is left to expire.
    expect((await api.call("POST", "/v1/jobs/daily")).body.settled).toEqual({ transactions: 0, customers: 0 });

    const history = (await api.call("GET", "/v1/jobs")).body.data;
    expect(history.map((r: { runKey: string; runs: number }) => [r.runKey, r.runs])).toEqual([["2026-06-01", 3], ["2026-05-30", 1]]);
    // The three runs added up, the two racing ones included: each expiry once.
    expect(history[0]).toMatchObject({ job: "daily", result: { date: "2026-06-01", settled: { transactions: 3, customers: 3 }, tiers: { reviewed: 0 }, birthdays: { day: 0, monthStart: 0 } } });
    expect((await api.call("GET", "/v1/jobs?limit=0")).status).toBe(400);
    for (const query of ["limit=0", "limit=abc", "limit=1.5", "limit=367", "limit=1&limit=2"]) {
      const r = await api.call("GET", `/v1/jobs?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.message, query).toBe("limit: must be a whole number from 1 to 366, given once");
    }
  });

  it("a rerun of a day adds what it did to the day's record: what the first run did is never overwritten", async () => {
    const clock = new FakeClock(new Date("2026-05-01T03:00:00Z"));
    const api = await shop(clock);
    await earnSome(api, ["hai", "hoa"]);
    clock.set("2026-05-01T05:00:00Z");
    await earnSome(api, ["huy"]);
    clock.set("2026-05-31T03:00:00Z"); // 10:00 on 31 May in Ho Chi Minh City: hai's and hoa's lots are past their 30 days
    expect((await api.call("POST", "/v1/jobs/daily")).body).toMatchObject({ date: "2026-05-31", settled: { transactions: 2, customers: 2 } });
    // A retry finds nothing more to do; its zeros used to replace the record of the first run.
    expect((await api.call("POST", "/v1/jobs/daily")).body.settled).toEqual({ transactions: 0, customers: 0 });
    let [day] = (await api.call("GET", "/v1/jobs")).body.data;
    expect(day).toMatchObject({ runKey: "2026-05-31", runs: 2, result: { date: "2026-05-31", settled: { transactions: 2, customers: 2 }, tiers: { reviewed: 0, downgraded: 0 }, birthdays: { day: 0, monthStart: 0 } } });
    // Later the same local day, huy's lot is due too: a third run expires it, and the day's record adds it.
    clock.set("2026-05-31T05:00:00Z");
    expect((await api.call("POST", "/v1/jobs/daily")).body.settled).toEqual({ transactions: 1, customers: 1 });
    [day] = (await api.call("GET", "/v1/jobs")).body.data;
    expect(day).toMatchObject({ runKey: "2026-05-31", runs: 3, result: { settled: { transactions: 3, customers: 3 } } });
  });

  it("counts a customer once however many of their assets expire", async () => {
    const clock = new FakeClock(new Date("2026-05-01T03:00:00Z"));
    const api = await shop(clock);
    await earnSome(api, ["giang"]);
    expect((await api.call("POST", "/v1/customers/giang/wallet/adjustments", { asset: "bonus", amount: 5_000, reason: "welcome", expiry: { kind: "days", days: 30 } })).status).toBe(201);
    clock.advanceDays(31);
    // Points and bonus: two expiry transactions for one customer (the due rows were counted: 2).
    expect((await api.call("POST", "/v1/ledger/settle")).body).toEqual({ transactions: 2, customers: 1 });
  });

  it("leaves expiry to the daily job: the minute loop only releases pending points", async () => {
    const clock = new FakeClock(new Date("2026-05-01T03:00:00Z"));
    const api = await shop(clock);
    await earnSome(api, ["dung"]);
    clock.advanceDays(31);
    expect(await settleProgram(api.ctx, api.programId, { releasesOnly: true })).toEqual({ transactions: 0, customers: 0 });
    // Reads apply the expiry at once all the same: an expired point is never shown or spent.
    expect((await api.call("GET", "/v1/customers/dung/balances")).body.available).toBe(0);
    expect((await api.call("POST", "/v1/jobs/daily")).body.settled.transactions).toBe(1);
  });
});

describe("the job queue (pg-boss)", () => {
  it("schedules every program's daily job at 00:05 in its time zone, follows time zone changes, and runs queued jobs", async () => {
    const clock = new FakeClock(new Date("2026-05-01T03:00:00Z"));
    const api = await shop(clock);
    const other = await shop(clock, "America/New_York");
    await earnSome(api, ["em"]);
    const queue = await startJobQueue(api.ctx, database, { pollingSeconds: 0.5, reconcileSeconds: 3600 });
    try {
      const mine = async () => (await queue.schedules()).filter((s) => s.programId === api.programId || s.programId === other.programId).sort((x, y) => x.timeZone.localeCompare(y.timeZone));
      expect(await mine()).toEqual([
        { programId: other.programId, cron: DAILY_CRON, timeZone: "America/New_York" },
        { programId: api.programId, cron: DAILY_CRON, timeZone: "Asia/Ho_Chi_Minh" },
      ]);
      expect((await api.call("PATCH", "/v1/program", { timeZone: "Asia/Bangkok" })).status).toBe(200);
      await queue.reconcile();
      expect((await mine()).map((s) => s.timeZone)).toEqual(["America/New_York", "Asia/Bangkok"]);

      clock.advanceDays(31);
      expect(await queue.enqueueDaily(api.programId)).toEqual(expect.any(String));
      let runs: { runKey: string; result: { settled: { transactions: number } } }[] = [];
      for (let i = 0; i < 120 && runs.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        runs = (await api.call("GET", "/v1/jobs")).body.data;
      }
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ runKey: "2026-06-01", result: { settled: { transactions: 1 } } });
      expect(await expiries(api, "em")).toHaveLength(1);
    } finally {
      await queue.stop();
    }
  });
});
