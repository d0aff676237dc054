import { sql, type SQL } from "drizzle-orm";

/**
 * A `text[]` parameter, written as a PostgreSQL array literal in one string parameter (the same on
 * node-postgres and PGlite). Key lookups use `col = any(${textArray(keys)})` rather than a join on
 * `jsonb_array_elements_text(...)`: the planner then sees a parameter list and uses the index,
 * instead of estimating 100 rows and hash-joining a scan of the whole table.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`${arrayLiteral(values)}::text[]`;
}

// After JSON.stringify: a backslash that starts anything but \" or \\ (a control character, a lone surrogate).
const OTHER_JSON_ESCAPE = /\\[^"\\]/;
const QUOTE_OR_BACKSLASH = /[\\"]/g;

/**
 * The array literal `{"a","b\"c"}`. JSON escapes `"` and `\` exactly as an array literal does, so the
 * usual case is one native JSON.stringify without its brackets: a batch's keys and stored responses
 * (JSON, full of quotes) went through two regular expressions per element, 10% of ingest's time with
 * rules (bench/README.md). Strings JSON would escape otherwise (control characters) take the slow path.
 */
export function arrayLiteral(values: readonly string[]): string {
  const json = JSON.stringify(values);
  if (!OTHER_JSON_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  let out = "{";
  for (let i = 0; i < values.length; i++) out += `${i > 0 ? "," : ""}"${values[i]!.replace(QUOTE_OR_BACKSLASH, "\\$&")}"`;
  return `${out}}`;
}
