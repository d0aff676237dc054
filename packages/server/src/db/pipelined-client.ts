import pg from "pg";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./connect.ts";

type QueryArgs = [config: unknown, values?: unknown, callback?: unknown];
type Result = pg.QueryResult;
type Statement = { text: string; values: readonly unknown[] };

const EMPTY = (command: string): Result => ({ command, rowCount: null, oid: 0, fields: [], rows: [] });

/**
 * Names of prepared statements, shared by every connection: a text gets one name for the life of the
 * process and each connection prepares it the first time it runs it (node-postgres remembers which
 * it has). Bounded, because a query builder can produce texts without end (an IN list per length):
 * past the bound, new texts run unnamed, planned each time, as they did before.
 */
const MAX_NAMED = 200;
const names = new Map<string, string>();

function nameOf(text: string, big: boolean): string | undefined {
  const key = big ? `big\u0000${text}` : text;
  let name = names.get(key);
  if (name === undefined && names.size < MAX_NAMED) names.set(key, (name = `patron_${names.size + 1}${big ? "_big" : ""}`));
  return name;
}

/**
 * A node-postgres client that saves two round trips per transaction and the planning of its hot
 * statements, for the pool behind drizzle (`new pg.Pool({ Client: PipelinedClient })`). It runs the
 * connection in node-postgres' pipeline mode (several queries on the wire before the first answer).
 *
 * - drizzle's `begin` is not sent alone: it goes out with the transaction's first statement, in one
 *   write (`BEGIN`, then the statement).
 * - A statement given to `executeAtCommit` is not sent at once: it goes out with drizzle's `commit`,
 *   in one write. If it fails, the transaction is aborted and PostgreSQL turns the COMMIT behind it
 *   into a rollback; the statement's error reaches the transaction's caller.
 * - A statement with parameters is a named prepared statement (up to MAX_NAMED texts): PostgreSQL
 *   parses it once per connection and, after five calls, may keep a generic plan. Calls with big
 *   parameters (MAX_PREPARED_PARAM_CHARS: a batch's JSON) get a name of their own, apart from the same
 *   text with small ones: a statement that serves one event and a batch of 1,000 alike (the claim,
 *   the rules' state) would otherwise get its generic plan from the batches' costs, hash joins over
 *   whole tables, and use it for single events. (Left unnamed, a batch's write was planned at every
 *   call: 15 ms of planning for 140 ms of execution under EXPLAIN ANALYZE.)
 *
 * Each pipelined query has its own Sync, so each runs after the one before it has finished and on its
 * own snapshot (a statement can rely on the locks its predecessor took), and an error stops
 * everything behind it in the transaction.
 *
 * On a loaded machine each round trip is a wake-up of the backend and of this process, and single-event
 * ingest is a chain of them: this is where its time went (bench/README.md, ADR 5 and ADR 7).
 */
export class PipelinedClient extends pg.Client {
  /** drizzle asked for BEGIN and nothing was sent yet. */
  private pendingBegin = false;
  /** Statements to send with COMMIT. */
  private atCommit: Statement[] = [];
  /** The transaction about to begin asked for generic plans (preferGenericPlans). */
  private genericPlans = false;

  constructor(config?: pg.ClientConfig) {
    super({ ...config, pipeline: true } as pg.ClientConfig);
  }

  override query(...args: QueryArgs): never {
    const [config, values, callback] = args;
    const text = typeof config === "string" ? config : (config as { text?: unknown } | null)?.text;
    // Anything unusual (submittables, cursors) goes straight through.
    if (typeof text !== "string") return this.plain(args);
    // pg.Pool's own query (drizzle's reads outside a transaction) passes a callback.
    if (typeof callback === "function") return this.plain([prepared(config, values), callback]);
    if (text === "begin") {
      this.pendingBegin = true;
      this.atCommit = [];
      this.genericPlans = false;
      return Promise.resolve(EMPTY("BEGIN")) as never;
    }
    if (text === "commit" || text === "rollback") return this.finish(text) as never;
    const statement = prepared(config, values);
    if (!this.pendingBegin) return this.plain([statement]);
    const begin = this.begin();
    return this.together([...begin, statement]).then((rs) => rs[begin.length]!) as never;
  }

  /** What goes out in front of the transaction's first statement, in the same write. */
  private begin(): object[] {
    this.pendingBegin = false;
    return this.genericPlans ? [{ text: "BEGIN" }, { text: "SET LOCAL plan_cache_mode = force_generic_plan" }] : [{ text: "BEGIN" }];
  }

  /**
   * Asks for generic plans for every statement of the transaction about to begin (nothing sent yet):
   * `SET LOCAL plan_cache_mode = force_generic_plan` goes out with BEGIN, in the same write. For
   * ingest's small groups of events, whose statements have fixed shapes: under PostgreSQL's own
   * choice (auto) they kept custom plans, planned at every call (a millisecond and more each under
   * load). Not for batches: a generic plan, made without the parameters, ran a batch of 1,000 events
   * with 20 rules in 1.5 s instead of 0.4 (ADR 7's addendum).
   */
  preferGenericPlans(): void {
    if (this.pendingBegin) this.genericPlans = true;
  }

  /**
   * Sends BEGIN and `statements` together, when nothing was sent for this transaction yet; returns
   * each statement's result. Null when BEGIN has gone already (the caller runs them one by one).
   */
  async beginWith(statements: Statement[]): Promise<Result[] | null> {
    if (!this.pendingBegin) return null;
    const begin = this.begin();
    const rs = await this.together([...begin, ...statements.map((s) => prepared(s.text, s.values))]);
    return rs.slice(begin.length);
  }

  /** Queues a statement for COMMIT; false when this client cannot (the caller runs it now). */
  deferToCommit(text: string, values: readonly unknown[]): boolean {
    if (this.pendingBegin) return false; // nothing has begun: run it now
    this.atCommit.push({ text, values });
    return true;
  }

  private async finish(text: "commit" | "rollback"): Promise<Result> {
    const queued = this.atCommit;
    this.atCommit = [];
    this.genericPlans = false; // SET LOCAL ends with the transaction
    if (this.pendingBegin) {
      // The transaction never ran a statement: nothing was begun, nothing to end.
      this.pendingBegin = false;
      return EMPTY(text.toUpperCase());
    }
    if (text === "rollback" || queued.length === 0) return this.plain([text]);
    const rs = await this.together([...queued.map((s) => prepared(s.text, s.values)), { text: "COMMIT" }]);
    return rs[rs.length - 1]!;
  }

  /**
   * Puts every query on the wire in one write and waits for all of them. The first failure (in
   * order) is thrown: the ones after it failed only because the transaction was aborted, and a
   * COMMIT behind a failure rolled back.
   */
  private async together(queries: object[]): Promise<Result[]> {
    const stream = (this as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream;
    stream.cork();
    let pending: Promise<Result>[];
    try {
      pending = queries.map((q) => this.plain([q]) as Promise<Result>);
    } finally {
      stream.uncork();
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Result>).value);
  }

  private plain(args: readonly unknown[]): never {
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/** Parameters longer than this in all (a batch's JSON) make a call big: named apart, see the class comment. */
const MAX_PREPARED_PARAM_CHARS = 16 * 1024;

function small(params: readonly unknown[]): boolean {
  let n = 0;
  for (const v of params) if (typeof v === "string" && (n += v.length) > MAX_PREPARED_PARAM_CHARS) return false;
  return true;
}

/**
 * The query config node-postgres runs: named when it has parameters, big calls apart from small ones
 * (a statement without any may hold several, which only the simple protocol takes).
 */
function prepared(config: unknown, values: unknown): object {
  const base = typeof config === "string" ? { text: config } : (config as { text: string; values?: unknown; name?: string });
  const params = Array.isArray(values) ? values : Array.isArray(base.values) ? base.values : undefined;
  if (params === undefined || params.length === 0) return { ...base, values: params };
  return { ...base, values: params, name: base.name ?? nameOf(base.text, !small(params)) };
}

const dialect = new PgDialect();

/** Generic plans for the statements of `tx`, which has sent nothing yet (PipelinedClient.preferGenericPlans); elsewhere nothing. */
export function preferGenericPlans(tx: Executor): void {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  if (client instanceof PipelinedClient) client.preferGenericPlans();
}

/**
 * Runs `query` as part of `tx`'s COMMIT when the connection is a PipelinedClient (one round trip
 * fewer), or now otherwise (PGlite, or the pipeline turned off). Only for a statement whose result
 * nobody reads: its errors surface when the transaction commits.
 */
export async function executeAtCommit(tx: Executor, query: SQL): Promise<void> {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  if (client instanceof PipelinedClient) {
    const q = dialect.sqlToQuery(query);
    if (client.deferToCommit(q.sql, q.params)) return;
  }
  await tx.execute(query);
}

/**
 * Runs `queries` one after the other in `tx` and returns each one's rows: in the transaction's first
 * round trip when its connection is a PipelinedClient that has not sent BEGIN yet (one round trip for
 * all), one by one otherwise. The rows come with node-postgres's default type parsing, not drizzle's
 * (timestamps would be Dates): use it for statements that return json columns.
 */
export async function rowsInFirstTrip(tx: Executor, queries: SQL[]): Promise<unknown[][]> {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  if (client instanceof PipelinedClient) {
    const rs = await client.beginWith(queries.map((q) => {
      const { sql: text, params } = dialect.sqlToQuery(q);
      return { text, values: params };
    }));
    if (rs) return rs.map((r) => r.rows);
  }
  const out: unknown[][] = [];
  for (const q of queries) out.push(((await tx.execute(q)) as unknown as { rows: unknown[] }).rows);
  return out;
}
