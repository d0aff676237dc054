import fc from "fast-check";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { inlineParams } from "./inline-params.ts";

describe("inlineParams", () => {
  it("writes strings exactly as node-postgres' escapeLiteral does", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "'", "\\", '"', "$", "1", "é", "\n", "😀") , maxLength: 40 }), (s) => {
        expect(inlineParams("select $1", [s])).toBe(`select ${pg.escapeLiteral(s)}`);
      }),
      { numRuns: 2_000 },
    );
  });

  it("replaces placeholders, and only outside strings, identifiers and comments", () => {
    expect(inlineParams("select $1, $2, $10", [1, null, ...Array(7).fill(0), true])).toBe("select '1', null, 'true'");
    expect(inlineParams(`select '$1' as "$2", $1 -- $1\n/* $2 */ , $2`, ["a", "b"])).toBe(`select '$1' as "$2", 'a' -- $1\n/* $2 */ , 'b'`);
    expect(inlineParams("select 'it''s $1', $1", ["x"])).toBe("select 'it''s $1', 'x'");
    expect(inlineParams("select $1::timestamptz", [new Date("2026-01-02T03:04:05Z")])).toBe("select '2026-01-02T03:04:05.000Z'::timestamptz");
  });

  it("gives up on what it does not follow, rather than guess", () => {
    expect(inlineParams("select $$ $1 $$", ["x"])).toBeNull(); // dollar quoting
    expect(inlineParams("select E'\\' $1'", ["x"])).toBeNull(); // backslash escapes
    expect(inlineParams("select 'unterminated", [])).toBeNull();
    expect(inlineParams("select $2", ["x"])).toBeNull(); // no such value
    expect(inlineParams("select $1", [{ a: 1 }])).toBeNull(); // objects are the driver's business
    expect(inlineParams("select $1", [Number.NaN])).toBeNull();
  });
});
