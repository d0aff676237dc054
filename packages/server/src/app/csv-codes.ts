/**
 * The codes of an uploaded CSV text (campaign codes, partner pools): the first column of each line.
 * A leading byte-order mark is dropped; lines end with CRLF, LF or CR; blank lines are skipped, and
 * so is a header named `code` on the first line. The column ends at a comma, semicolon or tab, so
 * files saved by spreadsheets in other locales (`;`) or as TSV read the same; a quoted field
 * (`"SUN,1"`, `""` for a quote) may hold any of them.
 *
 * @example codesFromCsv('code;note\r\n"SUN,1";x\r\nSUN-2') // [{ line: 2, typed: "SUN,1" }, { line: 3, typed: "SUN-2" }]
 */
export function codesFromCsv(csv: string): { line: number; typed: string }[] {
  const out: { line: number; typed: string }[] = [];
  for (const [i, raw] of csv.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/).entries()) {
    const first = firstField(raw.trimStart()).trim();
    if (first.length === 0 || (i === 0 && first.toLowerCase() === "code")) continue;
    out.push({ line: i + 1, typed: first });
  }
  return out;
}

function firstField(line: string): string {
  if (!line.startsWith('"')) return line.split(/[,;\t]/)[0]!;
  let value = "";
  for (let i = 1; i < line.length; i++) {
    if (line[i] !== '"') value += line[i];
    else if (line[i + 1] === '"') value += line[++i];
    else return value;
  }
  // No closing quote: the line as written, for the caller's check to show.
  return line;
}
