/**
 * Runs once per test project. PGlite: migrate one in-memory instance and dump its data directory,
 * so each test file starts from a copy in about a second instead of ~5 s. PostgreSQL: migrate a
 * template database; each test file then gets a fresh database cloned from it.
 */
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openPglite, openPostgres } from "../src/db/connect.ts";

declare module "vitest" {
  export interface ProvidedContext {
    patronDb: { kind: "pglite"; dump: string } | { kind: "postgres"; adminUrl: string; template: string };
  }
}

export default async function setup(project: TestProject) {
  // Global setup runs in the main process, where the project's `env` is not applied: read the
  // project's own configuration, or both projects would silently run on PGlite.
  const env = project.config.env ?? {};
  if (env.PATRON_TEST_DB === "postgres") {
    const adminUrl = env.PATRON_TEST_POSTGRES_URL;
    if (!adminUrl) throw new Error("PATRON_TEST_POSTGRES_URL is not set for the postgres project");
    const template = `patron_tpl_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${template}`);
    const db = await openPostgres({ url: withDatabase(adminUrl, template), pool: 1 });
    await db.migrate();
    await db.close();
    project.provide("patronDb", { kind: "postgres", adminUrl, template });
    return async () => {
      // Drop the template and the databases this run cloned from it (named after it), never another run's.
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1 or datname = $2`, [`${clonePrefix(template)}%`, template]);
      for (const r of rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      await admin.end();
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "patron-pglite-"));
  const db = await openPglite({});
  await db.migrate();
  const dump = await dumpOf(db);
  const file = join(dir, "migrated.tar");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  project.provide("patronDb", { kind: "pglite", dump: file });
  return () => rmSync(dir, { recursive: true, force: true });
}

async function dumpOf(db: Awaited<ReturnType<typeof openPglite>>): Promise<Blob> {
  if (!db.dump) throw new Error("PGlite database cannot be dumped");
  return db.dump();
}

/** Databases cloned from a template are named after it, so a run cleans up only its own. */
export const clonePrefix = (template: string) => template.replace("patron_tpl_", "patron_t_") + "_";

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
