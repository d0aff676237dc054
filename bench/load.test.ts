import { describe, expect, it } from "vitest";
import { drivePaced, OrderEvents } from "./load.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("drivePaced (open loop)", () => {
  it("sends at the offered rate and measures what each request took when the server keeps up", async () => {
    const m = await drivePaced(async () => (await sleep(2), 1), 8, 200, 100, 500);
    expect(m.offeredPerSec).toBe(200);
    // 200/s over a 500 ms window: about 100 requests were due and answered in it.
    expect(m.requests).toBeGreaterThanOrEqual(95);
    expect(m.requests).toBeLessThanOrEqual(101);
    expect(m.answeredPerSec).toBeGreaterThan(150);
    expect(m.p50Ms).toBeGreaterThanOrEqual(1.5); // a 2 ms timer, measured from when it was due
    expect(m.p50Ms).toBeLessThan(20);
  });

  it("charges a queue to the requests behind it: latency counts from when each request was due", async () => {
    // One connection, 100 requests/s due, each answer takes 25 ms: the server keeps up with 40/s at
    // most, so the requests wait longer and longer. A closed loop would report 25 ms for every one.
    const m = await drivePaced(async () => (await sleep(25), 1), 1, 100, 0, 400);
    expect(m.serviceP99Ms).toBeLessThan(60);
    expect(m.p99Ms).toBeGreaterThan(150);
    expect(m.answeredPerSec).toBeLessThan(60);
    expect(m.late).toBeGreaterThan(m.requests / 2);
  });

  it("stops at the first failure and throws it", async () => {
    let n = 0;
    await expect(drivePaced(async () => {
      if (++n === 3) throw new Error("bad answer");
      return 1;
    }, 2, 200, 0, 300)).rejects.toThrow("bad answer");
  });
});

describe("OrderEvents", () => {
  it("draws each producer's customers from its own slice when asked, from all of them otherwise", () => {
    const events = new OrderEvents("t", 10);
    const ids = (part?: { index: number; count: number }) => new Set(Array.from({ length: 400 }, () => Number(String(events.next(part).customerId).slice(5))));
    expect([...ids({ index: 0, count: 2 })].every((c) => c >= 0 && c < 5)).toBe(true);
    expect([...ids({ index: 1, count: 2 })].every((c) => c >= 5 && c < 10)).toBe(true);
    expect(ids().size).toBe(10);
  });
});
