import http from "node:http";
import { performance } from "node:perf_hooks";

/** A keep-alive HTTP client with one socket per producer, so no request waits for a connection. */
export class Client {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(url: string, connections: number) {
    this.base = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /**
   * `keepBody: false` reads a 2xx answer without keeping it (`text` is ""): a latency benchmark's own
   * garbage collector should not pause on 30 KB answers nobody reads. Any other status keeps its body.
   */
  post(path: string, body: unknown, token: string, keepBody = true): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    return this.request("POST", path, Buffer.from(JSON.stringify(body)), token, keepBody);
  }

  get(path: string, token: string, keepBody = true): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    return this.request("GET", path, null, token, keepBody);
  }

  private request(method: string, path: string, payload: Buffer | null, token: string, keepBody: boolean): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: payload ? { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": payload.length } : { authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          const keep = keepBody || (res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300;
          res.on("data", (c: Buffer) => keep && chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no response within 60 s`)));
      req.on("error", reject);
      if (payload) req.end(payload);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A failed request: the benchmark stops and prints it, since a figure with errors in it means nothing. */
export class BadResponse extends Error {
  constructor(what: string, status: number, text: string) {
    super(`${what}: HTTP ${status}\n${text.slice(0, 2000)}`);
  }
}

const rand = (n: number) => Math.floor(Math.random() * n);
const CATEGORIES = ["coffee", "tea", "pastry", "sandwich", "merch"];

/**
 * `order.completed` events with ids unique to this process (prefix + counter), a distinct order id
 * each, customers spread uniformly over `customers` ids, 1 to 3 lines in USD.
 */
export class OrderEvents {
  private seq = 0;

  /** `inOrder`: customers 0, 1, 2, … instead of at random (seeding every customer once). */
  constructor(
    private readonly prefix: string,
    private readonly customers: number,
    private readonly inOrder = false,
  ) {}

  /** `part`: draw the customer from the `part.index`-th of `part.count` equal slices of the customers (a producer's own, so producers share none). */
  next(part?: { index: number; count: number }): Record<string, unknown> {
    const n = this.seq++;
    const slice = part ? Math.floor(this.customers / part.count) : this.customers;
    const customer = this.inOrder ? n % this.customers : (part ? part.index * slice : 0) + rand(slice);
    const lines = Array.from({ length: 1 + rand(3) }, () => {
      const sku = rand(200);
      return { sku: `sku-${sku}`, name: `Item ${sku}`, category: CATEGORIES[sku % CATEGORIES.length], quantity: 1 + rand(3), unitPrice: 199 + rand(4800) };
    });
    return {
      id: `${this.prefix}-e${n}`,
      type: "order.completed",
      customerId: `cust-${customer}`,
      data: { orderId: `${this.prefix}-o${n}`, currency: "USD", lines, channel: "web", store: "bench-1" },
    };
  }
}

/** Sends one unit of work (one request) for producer `producer` (0 … producers − 1) and returns the number of events it got accepted. */
export type Send = (producer: number) => Promise<number>;

export function singleEventSender(client: Client, token: string, events: OrderEvents): Send {
  return async () => {
    const event = events.next();
    const res = await client.post("/v1/events", event, token);
    if (res.status !== 200) throw new BadResponse(`POST /v1/events (event ${String(event.id)})`, res.status, res.text);
    const body = JSON.parse(res.text) as { status?: string };
    if (body.status !== "accepted" || res.headers["idempotent-replayed"]) throw new BadResponse(`POST /v1/events (event ${String(event.id)}) not freshly accepted`, res.status, res.text);
    return 1;
  };
}

/**
 * `disjointOf`: with the number of producers, each producer's batches draw their customers from its own
 * slice, so concurrent batches never wait for each other's row locks (bench/README.md: "--disjoint").
 */
export function batchSender(client: Client, token: string, events: OrderEvents, size: number, disjointOf = 0): Send {
  return async (producer) => {
    const part = disjointOf > 1 ? { index: producer, count: disjointOf } : undefined;
    const batch = Array.from({ length: size }, () => events.next(part));
    const res = await client.post("/v1/events/batch", { events: batch }, token);
    if (res.status !== 200) throw new BadResponse(`POST /v1/events/batch (${size} events from ${String(batch[0]!.id)})`, res.status, res.text);
    const body = JSON.parse(res.text) as { accepted?: number; replayed?: number; rejected?: number };
    if (body.accepted !== size) {
      throw new BadResponse(`POST /v1/events/batch: ${body.accepted} accepted, ${body.replayed} replayed, ${body.rejected} rejected of ${size}`, res.status, res.text);
    }
    return size;
  };
}

export interface Measurement {
  /** Events accepted per second in the measured window. */
  eventsPerSec: number;
  /** Events in the window (requests straddling an edge count in proportion). */
  events: number;
  /** Requests that overlap the window. */
  requests: number;
  seconds: number;
  /** Latency of the requests answered inside the window, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Events accepted including warm-up and the requests in flight at the end (for the row count check). */
  totalAccepted: number;
}

export interface DriveHooks {
  /** Called when the measured window opens and closes (CPU counters are read here). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `producers` closed loops of `send` (each sends its next request when the last one is
 * answered) for `warmupMs`, then measures the next `measureMs`. A request that straddles an edge of
 * the window counts with the share of its duration inside it, so a few large batch requests do not
 * make the figure jump by a whole batch. The first failure stops every producer and is thrown.
 */
export async function drive(send: Send, producers: number, warmupMs: number, measureMs: number, hooks: DriveHooks = {}): Promise<Measurement> {
  let stop = false;
  let failure: unknown = null;
  let accepted = 0;
  let windowStart = Infinity;
  const done: { t0: number; t1: number; n: number }[] = [];

  const producer = async (index: number) => {
    while (!stop) {
      const t0 = performance.now();
      try {
        // Not `accepted += await send()`: that reads `accepted` before the await and loses the
        // other producers' increments.
        const n = await send(index);
        accepted += n;
        const t1 = performance.now();
        if (t1 >= windowStart) done.push({ t0, t1, n });
      } catch (e) {
        failure ??= e;
        stop = true;
      }
    }
  };

  const running = Array.from({ length: producers }, (_, index) => producer(index));
  const waitOrFail = async (ms: number) => {
    const until = performance.now() + ms;
    while (!stop && performance.now() < until) await sleep(Math.min(50, until - performance.now()));
  };

  await waitOrFail(warmupMs);
  windowStart = performance.now();
  hooks.onMeasureStart?.();
  await waitOrFail(measureMs);
  const windowEnd = performance.now();
  hooks.onMeasureEnd?.();
  stop = true;
  await Promise.all(running);
  if (failure) throw failure;

  let events = 0;
  let requests = 0;
  const latencies: number[] = [];
  for (const r of done) {
    const overlap = Math.min(r.t1, windowEnd) - Math.max(r.t0, windowStart);
    if (overlap <= 0) continue;
    events += r.t1 > r.t0 ? (r.n * overlap) / (r.t1 - r.t0) : r.n;
    requests++;
    if (r.t1 <= windowEnd) latencies.push(r.t1 - r.t0);
  }
  const seconds = (windowEnd - windowStart) / 1000;
  latencies.sort(ascending);
  return { eventsPerSec: events / seconds, events: Math.round(events), requests, seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), totalAccepted: accepted };
}

const ascending = (a: number, b: number) => a - b;

/** The p-th quantile (0..1) of values sorted ascending; NaN when there are none. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;
}

/** A paced run: what `drivePaced` measured at one offered rate. */
export interface PacedMeasurement {
  /** Requests per second offered (the schedule), and answered inside the window (lower when the server cannot keep up). */
  offeredPerSec: number;
  answeredPerSec: number;
  /** Latency from each request's scheduled time to its answer (so waiting for a free connection counts), ms. */
  p50Ms: number;
  p99Ms: number;
  /** The same from the moment the request was actually written, ms (what the server and the network took). */
  serviceP99Ms: number;
  /** Requests scheduled in the window that were sent more than 1 ms late (every connection was busy, or the load generator itself paused). */
  late: number;
  requests: number;
}

/**
 * An open-loop run, as a store's checkout sees it: requests are due at a fixed rate (`perSec`), spread
 * over at most `connections` keep-alive connections, whatever the server does. Latency counts from the
 * time a request was due, not from when a free connection sent it, so a slow answer that holds up the
 * requests behind it is charged to them too (the "coordinated omission" a closed loop hides). Requests due
 * in the first `warmupMs` are sent but not measured; the run stops scheduling at the end of the window and
 * waits for what is in flight. The first failure stops it and is thrown.
 */
export async function drivePaced(send: Send, connections: number, perSec: number, warmupMs: number, measureMs: number): Promise<PacedMeasurement> {
  const interval = 1000 / perSec;
  const start = performance.now() + 5;
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + measureMs;
  let next = 0;
  let stop = false;
  let failure: unknown = null;
  let late = 0;
  let answeredInWindow = 0;
  const latencies: number[] = [];
  const service: number[] = [];

  const connection = async (index: number) => {
    while (!stop) {
      const due = start + next++ * interval;
      if (due >= windowEnd) return;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sent = performance.now();
      try {
        await send(index);
      } catch (e) {
        failure ??= e;
        stop = true;
        return;
      }
      const answered = performance.now();
      if (answered >= windowStart && answered < windowEnd) answeredInWindow++;
      if (due < windowStart) continue;
      if (sent - due > 1) late++;
      latencies.push(answered - due);
      service.push(answered - sent);
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => connection(index)));
  if (failure) throw failure;
  latencies.sort(ascending);
  service.sort(ascending);
  const seconds = measureMs / 1000;
  return {
    offeredPerSec: perSec, answeredPerSec: answeredInWindow / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), serviceP99Ms: percentile(service, 0.99),
    late, requests: latencies.length,
  };
}
