import { sql, type SQL } from "drizzle-orm";

/**
 * A `text[]` parameter, written as a PostgreSQL array literal in one string parameter (the same on
 * node-postgres and PGlite). Key lookups use `col = any(${textArray(keys)})` rather than a join on
 * `jsonb_array_elements_text(...)`: the planner then sees a parameter list and uses the index,
 * instead of estimating 100 rows and hash-joining a scan of the whole table.
 */
export function textArray(values: readonly string[]): SQL {
  const literal = `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
  return sql`${literal}::text[]`;
}
