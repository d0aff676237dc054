import { describe, expect, it } from "vitest";
import { codesFromCsv } from "./csv-codes.ts";

describe("codesFromCsv", () => {
  it.each([
    { csv: "code\nA1\nB2\n", codes: ["A1", "B2"] },
    { csv: "\ufeffcode,note\r\nA1,x\r\n\r\nB2,y\r\n", codes: ["A1", "B2"] },
    { csv: "code;note\nA1;x", codes: ["A1"] },
    { csv: "code\tnote\nA1\tx", codes: ["A1"] },
    { csv: "A1\rB2\r", codes: ["A1", "B2"] },
    { csv: '"A,1",x\n"B""2";y\n  " C3 " ,z', codes: ["A,1", 'B"2', "C3"] },
    { csv: '"code"\nA1', codes: ["A1"] },
    { csv: "A1\ncode", codes: ["A1", "code"] },
    { csv: '"open,A1', codes: ['"open,A1'] },
    { csv: "\n\n , \n", codes: [] },
  ])("reads $csv as $codes", ({ csv, codes }) => {
    expect(codesFromCsv(csv).map((c) => c.typed)).toEqual(codes);
  });

  it("numbers the lines as the file does", () => {
    expect(codesFromCsv("code\r\n\r\nA1\nB2")).toEqual([{ line: 3, typed: "A1" }, { line: 4, typed: "B2" }]);
  });
});
