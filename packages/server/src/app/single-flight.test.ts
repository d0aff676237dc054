import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single-flight.ts";

/** A load that stays open until released, counting how often it ran. */
function gate<T>(value: T) {
  let runs = 0;
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const load = async () => {
    runs++;
    await opened;
    return value;
  };
  return { load, release, runs: () => runs };
}

describe("SingleFlight", () => {
  it("concurrent callers of one executor share one load", async () => {
    const f = new SingleFlight<number>();
    const pool = {};
    const g = gate(7);
    const all = Promise.all([f.run(pool, "p1", g.load), f.run(pool, "p1", g.load), f.run(pool, "p1", g.load)]);
    g.release();
    expect(await all).toEqual([7, 7, 7]);
    expect(g.runs()).toBe(1);
    // Once it has finished, the next caller loads again (the cache in front decides when to ask).
    expect(await f.run(pool, "p1", g.load)).toBe(7);
    expect(g.runs()).toBe(2);
  });

  it("does not share across keys or executors (a transaction loads for itself)", async () => {
    const f = new SingleFlight<string>();
    const pool = {};
    const tx = {};
    const g = gate("x");
    const all = Promise.all([f.run(pool, "p1", g.load), f.run(pool, "p2", g.load), f.run(tx, "p1", g.load)]);
    g.release();
    await all;
    expect(g.runs()).toBe(3);
  });

  it("when the shared load fails, the callers that joined it load for themselves", async () => {
    const f = new SingleFlight<string>();
    const pool = {};
    let release!: () => void;
    const opened = new Promise<void>((r) => (release = r));
    const failing = async () => {
      await opened;
      throw new Error("aborted transaction");
    };
    const first = f.run(pool, "p1", failing);
    const second = f.run(pool, "p1", async () => "own");
    release();
    await expect(first).rejects.toThrow("aborted transaction");
    expect(await second).toBe("own");
  });

  it("after forget, a new caller does not join a load that began before the change", async () => {
    const f = new SingleFlight<string>();
    const pool = {};
    const before = gate("old");
    const pending = f.run(pool, "p1", before.load);
    f.forget();
    const after = await f.run(pool, "p1", async () => "new");
    before.release();
    expect(after).toBe("new");
    expect(await pending).toBe("old");
  });
});
