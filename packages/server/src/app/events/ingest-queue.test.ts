import { describe, expect, it } from "vitest";
import { IngestQueue } from "./ingest-queue.ts";
import type { EventInput, EventResult } from "./event-input.ts";
import type { Program } from "../programs/program.ts";

const program = { id: "prg_1" } as Program;
const event = (id: string) => ({ id, type: "custom", name: "x", customerId: "c", data: {} }) as unknown as EventInput;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run that records each group and holds it open until released. */
function recorder() {
  const groups: string[][] = [];
  const releases: (() => void)[] = [];
  const run = (_p: Program, events: readonly EventInput[]) => {
    groups.push(events.map((e) => e.id));
    const results = events.map((e) => ({ id: e.id, status: "rejected", replayed: false }) as unknown as EventResult);
    return new Promise<EventResult[]>((resolve) => {
      releases.push(() => resolve(results));
    });
  };
  return { run, groups, release: (i: number) => releases[i]!() };
}

describe("IngestQueue", () => {
  it("a lone request starts at once, and so does the next one after it (a group of one waits for one)", async () => {
    const r = recorder();
    const q = new IngestQueue(r.run, 1, { lingerMs: 10_000 });
    const first = q.submit(program, event("e1"));
    expect(r.groups).toEqual([["e1"]]);
    r.release(0);
    await first;
    const second = q.submit(program, event("e2"));
    await sleep(0); // e1's transaction is done: e2 goes now, not after the 10 s linger
    expect(r.groups).toEqual([["e1"], ["e2"]]);
    r.release(1);
    await second;
  });

  it("after a group, the next waits for the senders it answered: one transaction for all of them", async () => {
    const r = recorder();
    const q = new IngestQueue(r.run, 1, { lingerMs: 10_000 });
    const a = [q.submit(program, event("a1")), q.submit(program, event("a2"))].map((p) => p.then(() => "done"));
    // a1 went alone; a2 waits for it.
    expect(r.groups).toEqual([["a1"]]);
    r.release(0);
    await a[0];
    await sleep(0);
    // a1's group finished with a2 waiting: the next group waits for one more (a1's sender's next event).
    expect(r.groups).toEqual([["a1"]]);
    const b = q.submit(program, event("b1"));
    expect(r.groups).toEqual([["a1"], ["a2", "b1"]]);
    r.release(1);
    expect(await Promise.all([a[1], b])).toMatchObject(["done", { id: "b1" }]);
  });

  it("the wait is bounded by lingerMs", async () => {
    const r = recorder();
    const q = new IngestQueue(r.run, 1, { lingerMs: 20 });
    const first = q.submit(program, event("a1"));
    const second = q.submit(program, event("a2"));
    r.release(0);
    await first;
    expect(r.groups).toEqual([["a1"]]);
    await sleep(80);
    expect(r.groups).toEqual([["a1"], ["a2"]]);
    r.release(1);
    await second;
  });

  it("without a linger, whoever waits goes at once", async () => {
    const r = recorder();
    const q = new IngestQueue(r.run, 1);
    const first = q.submit(program, event("a1"));
    const rest = [q.submit(program, event("a2")), q.submit(program, event("a3"))];
    r.release(0);
    await first;
    await sleep(0);
    expect(r.groups).toEqual([["a1"], ["a2", "a3"]]);
    r.release(1);
    await Promise.all(rest);
  });
});
