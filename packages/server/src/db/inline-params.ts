/**
 * `text` with its `$1…$n` placeholders replaced by SQL literals of `values`, or null when that cannot
 * be done safely (a value that is not a string, number, boolean, date or null; dollar quoting; a
 * placeholder without a value). Quoted strings, quoted identifiers and comments are copied as they
 * are, so a `$1` inside them is never touched.
 *
 * Every literal is a quoted string (`'42'`, `'2026-01-01T00:00:00.000Z'`): an untyped literal, which
 * PostgreSQL types from its context exactly as it types a parameter sent without a type (node-postgres
 * sends every parameter so). Used to send a statement in the simple protocol, together with BEGIN or
 * COMMIT in one round trip (pipelined-client.ts).
 */
export function inlineParams(text: string, values: readonly unknown[]): string | null {
  const literals: string[] = [];
  for (const v of values) {
    const l = literal(v);
    if (l === null) return null;
    literals.push(l);
  }
  let out = "";
  let i = 0;
  const n = text.length;
  const special = /['"$]|--|\/\*/g;
  for (;;) {
    special.lastIndex = i;
    const m = special.exec(text);
    if (!m) break;
    out += text.slice(i, m.index);
    i = m.index;
    const c = m[0];
    if (c === "'" || c === '"') {
      // A quoted string or identifier; a doubled quote inside stays inside.
      let j = i + 1;
      for (;;) {
        j = text.indexOf(c, j);
        if (j < 0) return null;
        if (text[j + 1] === c) j += 2;
        else break;
      }
      // E'…' strings treat a backslash as an escape, which this scanner does not follow.
      if (c === "'" && i > 0 && /[eE]/.test(text[i - 1]!) && (i < 2 || !/\w/.test(text[i - 2]!))) return null;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "--") {
      const j = text.indexOf("\n", i);
      const end = j < 0 ? n : j;
      out += text.slice(i, end);
      i = end;
    } else if (c === "/*") {
      const j = text.indexOf("*/", i + 2);
      if (j < 0) return null;
      out += text.slice(i, j + 2);
      i = j + 2;
    } else {
      const p = /^\$(\d+)/.exec(text.slice(i, i + 12));
      // `$tag$` dollar quoting (or `$` in an identifier) is not followed: give up rather than guess.
      if (!p || (i > 0 && /\w/.test(text[i - 1]!))) return null;
      const k = Number(p[1]) - 1;
      if (k < 0 || k >= literals.length) return null;
      out += literals[k];
      i += p[0].length;
    }
  }
  out += text.slice(i);
  return out;
}

function literal(v: unknown): string | null {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") return Number.isFinite(v) ? `'${v}'` : null;
  if (typeof v === "bigint") return `'${v}'`;
  if (typeof v === "boolean") return v ? "'true'" : "'false'";
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : `'${v.toISOString()}'`;
  return null;
}

/**
 * A string literal, as node-postgres' escapeLiteral writes it (quotes doubled; with a backslash, an
 * E'' literal with backslashes doubled), but with native replaces: escapeLiteral appends one
 * character at a time, which for a batch's megabyte of JSON cost tens of megabytes of string pieces.
 */
function quote(v: string): string {
  const q = v.replace(/'/g, "''");
  return v.includes("\\") ? ` E'${q.replace(/\\/g, "\\\\")}'` : `'${q}'`;
}
