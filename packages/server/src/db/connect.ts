import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { lockDataDir } from "./data-dir-lock.ts";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema.ts";
import { PipelinedClient } from "./pipelined-client.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Anything that runs a query: the database or a transaction. */
export type Executor = Db | Tx;

export interface Database {
  kind: "pglite" | "postgres";
  db: Db;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** PGlite only: the data directory as a tarball (tests clone a migrated database from it). */
  dump?: () => Promise<Blob>;
  /** PGlite only: the instance itself, which the job queue shares (it has one connection). */
  pglite?: PGlite;
  /** PostgreSQL only: where it is, for the job queue's own small pool. */
  url?: string;
}

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * Embedded PGlite in `dataDir` (or in memory / from a dumped data directory, for tests).
 * PGlite is one connection: its transactions run one at a time, which is what keeps it correct.
 */
export async function openPglite(opts: { dataDir?: string; loadDataDir?: Blob | File }): Promise<Database> {
  // One process per data directory (data-dir-lock.ts); in memory there is nothing to share.
  const unlock = opts.dataDir !== undefined ? lockDataDir(opts.dataDir) : () => {};
  let client: PGlite;
  try {
    client = await PGlite.create(opts.dataDir, opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
  } catch (e) {
    unlock();
    throw e;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder }),
    close: async () => {
      await client.close();
      unlock();
    },
    dump: () => client.dumpDataDir("none"),
    pglite: client,
  };
}

// int8 (bigint) and numeric arrive as strings from node-postgres; our amounts are below 2^53,
// so read them as numbers, as PGlite does for int8 via drizzle's mode "number".
pg.types.setTypeParser(20, (v) => Number(v));

export async function openPostgres(opts: { url: string; pool: number; pipeline?: boolean }): Promise<Database> {
  // PipelinedClient sends BEGIN (and COMMIT, where asked) with a statement: two round trips fewer per transaction.
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.pool, ...(opts.pipeline === false ? {} : { Client: PipelinedClient as unknown as new () => pg.ClientBase }) });
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    kind: "postgres",
    db,
    url: opts.url,
    async migrate() {
      // Several servers may start at once: one migrates, the others wait on the lock.
      const client = await pool.connect();
      try {
        await client.query("select pg_advisory_lock(4700)");
        await migratePg(drizzlePg(client), { migrationsFolder });
      } finally {
        await client.query("select pg_advisory_unlock(4700)").catch(() => {});
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/** Rows of a raw query, the same on both drivers. */
export async function rows<T>(ex: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const r = (await ex.execute(query)) as unknown as { rows: T[] };
  return r.rows;
}
