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
  /** After a group finished: how many events to wait for (those waiting plus its senders' next ones), and until when. */
  target: number;
  holdUntil: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Group commit for single events. Requests for the same program that arrive while that program's
 * transactions are in flight wait for one to finish and then go together, as one batch, through the
 * set-based ingest: one transaction and one commit for many events instead of one each. Nothing
 * waits when nothing is in flight, so a lone request is not delayed. Each event still gets its own
 * result, exactly as if it had come alone (rejections are per event; event ids stay idempotent).
 * If a group throws (a bug or an outage), its events are run again one by one, so one event can
 * never fail another.
 *
 * Linger: when a group finishes, the clients it answered usually send their next events within a
 * millisecond or so. Starting the next group at once with whoever was waiting splits the senders into
 * two halves that take turns, each waiting for the other's whole transaction. So, after a group, the
 * next one waits (up to `lingerMs`) until as many events are waiting as that group held plus those
 * waiting before: one transaction for all of them. A lone request never waits (with nothing in
 * flight it starts at once; after a group of one, one event is enough), and under a steady stream
 * the target is met as the answers come back. PostgreSQL's `commit_delay` is the same idea.
 */
export class IngestQueue {
  private lanes = new Map<string, Lane>();

  constructor(
    private readonly run: Run,
    /** Transactions in flight per program: 1 on PGlite (one connection), a few on PostgreSQL. */
    private readonly maxInFlight: number,
    private readonly opts: { maxBatch?: number; lingerMs?: number } = {},
  ) {}

  private get maxBatch(): number {
    return this.opts.maxBatch ?? 1000;
  }

  submit(program: Program, event: EventInput): Promise<EventResult> {
    let lane = this.lanes.get(program.id);
    if (!lane) {
      lane = { waiting: [], inFlight: 0, target: 0, holdUntil: 0, timer: null };
      this.lanes.set(program.id, lane);
    }
    const l = lane;
    return new Promise((resolve, reject) => {
      l.waiting.push({ program, event, resolve, reject });
      this.pump(program.id, l);
    });
  }

  private pump(programId: string, lane: Lane): void {
    const linger = this.opts.lingerMs ?? 0;
    while (lane.inFlight < this.maxInFlight && lane.waiting.length > 0) {
      if (lane.waiting.length < Math.min(lane.target, this.maxBatch) && performance.now() < lane.holdUntil) {
        lane.timer ??= setTimeout(() => {
          lane.timer = null;
          lane.target = 0;
          this.pump(programId, lane);
        }, linger).unref();
        return;
      }
      const group = lane.waiting.splice(0, this.maxBatch);
      lane.inFlight++;
      // Set before the group's answers go out: events sent after them are the ones to wait for.
      const answering = () => {
        if (linger === 0) return;
        lane.target = lane.waiting.length + group.length;
        lane.holdUntil = performance.now() + linger;
      };
      void this.execute(group, answering).finally(() => {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.waiting.length === 0 && lane.timer === null && linger === 0) this.lanes.delete(programId);
        else this.pump(programId, lane);
      });
    }
  }

  private async execute(group: Waiting[], answering: () => void): Promise<void> {
    // The newest settings win: a group never mixes two versions of a program.
    const program = group[group.length - 1]!.program;
    try {
      const results = await this.run(program, group.map((g) => g.event));
      answering();
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (e) {
      answering();
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
