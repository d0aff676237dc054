import type { Program } from "../programs/program.ts";
import type { EventInput, EventResult } from "./event-input.ts";

type Run = (program: Program, events: readonly EventInput[]) => Promise<EventResult[]>;

interface Waiting {
  program: Program;
  event: EventInput;
  resolve: (r: EventResult) => void;
  reject: (e: unknown) => void;
}

interface Lane {
  waiting: Waiting[];
  inFlight: number;
}

/**
 * Group commit for single events. Requests for the same program that arrive while that program's
 * transactions are in flight wait for one to finish and then go together, as one batch, through the
 * set-based ingest: one transaction and one commit for many events instead of one each. Nothing
 * waits when nothing is in flight, so a lone request is not delayed. Each event still gets its own
 * result, exactly as if it had come alone (rejections are per event; event ids stay idempotent).
 * If a group throws (a bug or an outage), its events are run again one by one, so one event can
 * never fail another.
 */
export class IngestQueue {
  private lanes = new Map<string, Lane>();

  constructor(
    private readonly run: Run,
    /** Transactions in flight per program: 1 on PGlite (one connection), a few on PostgreSQL. */
    private readonly maxInFlight: number,
    private readonly maxBatch = 1000,
  ) {}

  submit(program: Program, event: EventInput): Promise<EventResult> {
    let lane = this.lanes.get(program.id);
    if (!lane) {
      lane = { waiting: [], inFlight: 0 };
      this.lanes.set(program.id, lane);
    }
    const l = lane;
    return new Promise((resolve, reject) => {
      l.waiting.push({ program, event, resolve, reject });
      this.pump(program.id, l);
    });
  }

  private pump(programId: string, lane: Lane): void {
    while (lane.inFlight < this.maxInFlight && lane.waiting.length > 0) {
      const group = lane.waiting.splice(0, this.maxBatch);
      lane.inFlight++;
      void this.execute(group).finally(() => {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.waiting.length === 0) this.lanes.delete(programId);
        else this.pump(programId, lane);
      });
    }
  }

  private async execute(group: Waiting[]): Promise<void> {
    // The newest settings win: a group never mixes two versions of a program.
    const program = group[group.length - 1]!.program;
    try {
      const results = await this.run(program, group.map((g) => g.event));
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (e) {
      if (group.length === 1) return group[0]!.reject(e);
      for (const g of group) {
        try {
          g.resolve((await this.run(program, [g.event]))[0]!);
        } catch (one) {
          g.reject(one);
        }
      }
    }
  }
}
