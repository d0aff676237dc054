import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { arrayLiteral } from "./sql-arrays.ts";

/** The reference: every element quoted, `"` and `\` escaped with a backslash (PostgreSQL's array input). */
const reference = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;

/** PostgreSQL's reading of a literal whose elements are all quoted. */
function parse(literal: string): string[] {
  const out: string[] = [];
  let i = 1;
  if (literal === "{}") return out;
  for (;;) {
    expect(literal[i]).toBe('"');
    let s = "";
    for (i++; literal[i] !== '"'; i++) s += literal[i] === "\\" ? literal[++i] : literal[i];
    out.push(s);
    i++;
    if (literal[i] === "}") return out;
    expect(literal[i]).toBe(",");
    i++;
  }
}

describe("arrayLiteral", () => {
  it("quotes every element and escapes quotes and backslashes", () => {
    expect(arrayLiteral([])).toBe("{}");
    expect(arrayLiteral(["a", ""])).toBe('{"a",""}');
    expect(arrayLiteral(['{"id":"e1"}', "c:\\dir", "NULL"])).toBe('{"{\\"id\\":\\"e1\\"}","c:\\\\dir","NULL"}');
  });

  it("keeps control characters and non-ASCII text as they are (the slow path)", () => {
    expect(arrayLiteral(["line\nbreak", "tab\t", "café ☕"])).toBe('{"line\nbreak","tab\t","café ☕"}');
    expect(parse(arrayLiteral(["a\u0001b", '\\"']))).toEqual(["a\u0001b", '\\"']);
  });

  it("is the reference literal for any strings, and reads back to them", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-composite" })), fc.array(fc.string({ unit: fc.constantFrom("a", '"', "\\", "\n", "é", "\u0007", "}", ",", " ") })), (a, b) => {
        for (const values of [a, b]) {
          expect(arrayLiteral(values)).toBe(reference(values));
          expect(parse(arrayLiteral(values))).toEqual(values);
        }
      }),
      { numRuns: 500 },
    );
  });
});
