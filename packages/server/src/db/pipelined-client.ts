import pg from "pg";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./connect.ts";
import { inlineParams } from "./inline-params.ts";

type QueryArgs = [config: unknown, values?: unknown, callback?: unknown];
type Result = pg.QueryResult;

const EMPTY = (command: string): Result => ({ command, rowCount: null, oid: 0, fields: [], rows: [] });

/**
 * Statements with more parameter text than this go the plain way: for a batch of 1,000 events the
 * round trip saved is nothing next to the statement, and copying, escaping and measuring a megabyte
 * of literals cost more (a tenth of the server's CPU on batch ingest) than sending the parameters.
 */
const MAX_INLINE_CHARS = 64 * 1024;

function small(values: readonly unknown[]): boolean {
  let n = 0;
  for (const v of values) if (typeof v === "string" && (n += v.length) > MAX_INLINE_CHARS) return false;
  return true;
}

/** The statement with its parameters written in, or null when they are too big or cannot be inlined safely. */
function inline(text: string, values: readonly unknown[]): string | null {
  return small(values) ? inlineParams(text, values) : null;
}

/**
 * A node-postgres client that saves two round trips per transaction, for the pool behind drizzle
 * (`new pg.Pool({ Client: PipelinedClient })`).
 *
 * - drizzle's `begin` is not sent alone: it goes in front of the transaction's first statement, as
 *   one simple-protocol query (`BEGIN; <statement with its parameters inlined>`).
 * - A statement given to `executeAtCommit` is not sent at once: it goes in front of drizzle's
 *   `commit`, as one query (`<statement>; COMMIT`). If it fails, COMMIT is skipped, the error reaches
 *   the transaction's caller, and drizzle's ROLLBACK ends the transaction.
 *
 * On a loaded machine each round trip is a wake-up of the backend and of this process, and single-event
 * ingest is a chain of them: this is where its time went (bench/README.md). A statement whose
 * parameters cannot be inlined safely (inline-params.ts), or a named (prepared) one, falls back to the
 * plain path: BEGIN alone, then the statement.
 */
export class PipelinedClient extends pg.Client {
  /** drizzle asked for BEGIN and nothing was sent yet. */
  private pendingBegin = false;
  /** Inlined statements to send with COMMIT. */
  private atCommit: string[] = [];

  override query(...args: QueryArgs): never {
    const [config, values, callback] = args;
    const text = typeof config === "string" ? config : (config as { text?: unknown } | null)?.text;
    // Anything unusual (callbacks, submittables, cursors) goes straight through.
    if (typeof text !== "string" || typeof callback === "function") return this.plain(args);
    if (text === "begin") {
      this.pendingBegin = true;
      this.atCommit = [];
      return Promise.resolve(EMPTY("BEGIN")) as never;
    }
    if (text === "commit" || text === "rollback") return this.finish(text, args) as never;
    if (!this.pendingBegin) return this.plain(args);
    this.pendingBegin = false;
    const inlined = this.inlinable(config, values) ? inline(text, paramsOf(config, values)) : null;
    if (inlined === null) return (this.plain(["begin"]) as Promise<Result>).then(() => this.plain(args)) as never;
    // drizzle's row mode and type parsers apply to every result of a simple query; BEGIN's is empty.
    const { rowMode, types } = typeof config === "string" ? {} : (config as { rowMode?: unknown; types?: unknown });
    return (this.plain([{ text: `BEGIN;\n${inlined}`, rowMode, types }]) as Promise<Result | Result[]>).then((rs) => (Array.isArray(rs) ? rs[rs.length - 1]! : rs)) as never;
  }

  /**
   * Sends BEGIN and `statements` as one query, when nothing was sent for this transaction yet and
   * every statement can be inlined; returns each statement's result. Null when it cannot (the
   * caller runs them one by one). Each statement still runs on its own snapshot, after the one
   * before it has finished: a statement can rely on the locks its predecessor took.
   */
  async beginWith(statements: { text: string; values: readonly unknown[] }[]): Promise<Result[] | null> {
    if (!this.pendingBegin) return null;
    const inlined = statements.map((q) => inline(q.text, q.values));
    if (inlined.some((t) => t === null)) return null;
    this.pendingBegin = false;
    const rs = (await this.plain([`BEGIN;\n${inlined.join(";\n")}`])) as Result[];
    return rs.slice(1);
  }

  /** Queues an inlined statement for COMMIT; false when this client cannot (the caller runs it now). */
  deferToCommit(text: string, values: readonly unknown[]): boolean {
    if (this.pendingBegin) return false; // nothing has begun: run it now
    const inlined = inline(text, values); // null for a big statement: run it now
    if (inlined === null) return false;
    this.atCommit.push(inlined);
    return true;
  }

  private async finish(text: "commit" | "rollback", args: QueryArgs): Promise<Result> {
    const queued = this.atCommit;
    this.atCommit = [];
    if (this.pendingBegin) {
      // The transaction never ran a statement: nothing was begun, nothing to end.
      this.pendingBegin = false;
      return EMPTY(text.toUpperCase());
    }
    if (text === "rollback" || queued.length === 0) return this.plain(args);
    const rs = (await this.plain([`${queued.join(";\n")};\nCOMMIT`])) as Result | Result[];
    return Array.isArray(rs) ? rs[rs.length - 1]! : rs;
  }

  private inlinable(config: unknown, values: unknown): boolean {
    if (typeof config === "string") return values === undefined || Array.isArray(values);
    // A named (prepared) statement is not inlined: it is prepared once and reused.
    return (config as { name?: unknown }).name === undefined;
  }

  private plain(args: readonly unknown[]): never {
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

function paramsOf(config: unknown, values: unknown): unknown[] {
  if (Array.isArray(values)) return values;
  const v = (config as { values?: unknown } | null)?.values;
  return Array.isArray(v) ? v : [];
}

const dialect = new PgDialect();

/**
 * Runs `query` as part of `tx`'s COMMIT when the connection is a PipelinedClient (one round trip
 * fewer), or now otherwise (PGlite, or parameters that cannot be inlined). Only for a statement
 * whose result nobody reads: its errors surface when the transaction commits.
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
