import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalJson } from "./json.ts";

/** The first version, whose output every stored request hash was made from. */
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(",")}}`;
}

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: null, y: "x" }], c: undefined } })).toBe('{"a":{"d":[2,{"y":"x","z":null}]},"b":1}');
    expect(canonicalJson([undefined, () => 1])).toBe("[null,null]");
  });

  it("writes a date as its ISO string (the first version wrote {} for every date)", () => {
    expect(canonicalJson({ at: new Date("2026-03-09T05:00:00-05:00") })).toBe('{"at":"2026-03-09T10:00:00.000Z"}');
    expect(canonicalJson({ at: new Date("2026-03-08T10:00:00Z") })).not.toBe(canonicalJson({ at: new Date("2026-03-09T10:00:00Z") }));
  });

  it("is exactly the first version's output for any JSON-like value (stored hashes depend on it)", () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 2 }), tie("obj"), fc.array(tie("any"), { maxLength: 4 })),
      obj: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(tie("any"), fc.constant(undefined)), { maxKeys: 6 }),
    })).any;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });
});
