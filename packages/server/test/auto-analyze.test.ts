import { describe, expect, it } from "vitest";
import { AutoAnalyze } from "../src/db/analyze.ts";
import type { AppContext } from "../src/app/context.ts";

/** A database that only counts ANALYZE statements, answering when told to. */
function fakeDb() {
  const pending: (() => void)[] = [];
  let calls = 0;
  const db = { execute: () => new Promise<void>((resolve) => { calls++; pending.push(resolve); }) } as unknown as AppContext["db"];
  return { db, calls: () => calls, finish: async () => { pending.splice(0).forEach((r) => r()); await new Promise((r) => setTimeout(r, 0)); } };
}
const log = { info() {}, warn() {}, error() {}, debug() {} };

describe("AutoAnalyze", () => {
  it("analyzes after the first 2,000 events, then when new events reach a fifth of all seen", async () => {
    const f = fakeDb();
    const a = new AutoAnalyze({ db: f.db, log });
    a.record(1_999);
    expect(f.calls()).toBe(0);
    a.record(1);
    expect(f.calls()).toBe(1);
    await f.finish();
    a.record(1_999); // 3,999 seen: the threshold is still 2,000
    expect(f.calls()).toBe(1);
    a.record(1);
    expect(f.calls()).toBe(2);
    await f.finish();
    a.record(100_000); // large batch: 104,000 seen, 100,000 new >= a fifth
    expect(f.calls()).toBe(3);
    await f.finish();
    a.record(20_000); // 124,000 seen, a fifth is 24,800
    expect(f.calls()).toBe(3);
  });

  it("runs one ANALYZE at a time", async () => {
    const f = fakeDb();
    const a = new AutoAnalyze({ db: f.db, log });
    a.record(5_000);
    a.record(5_000);
    expect(f.calls()).toBe(1);
    await f.finish();
    a.record(5_000);
    expect(f.calls()).toBe(2);
  });
});
