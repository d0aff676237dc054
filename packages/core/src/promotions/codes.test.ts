import { describe, expect, it } from "vitest";
import { CODE_ALPHABET } from "../rewards/codes.ts";
import { checkCodePattern, codeFromPattern, DEFAULT_CODE_PATTERN, normalizePromoCode, patternRandomBytes } from "./codes.ts";
import { seededRandom } from "../random/seeded.ts";

describe("normalizePromoCode", () => {
  it.each([
    { typed: "SUMMER10", normal: "SUMMER10" },
    { typed: " summer10 ", normal: "SUMMER10" },
    { typed: "bf-2026", normal: "BF2026" },
    { typed: "BF 2026 - X", normal: "BF2026X" },
    { typed: "\tab c\n", normal: "ABC" },
    { typed: "A".repeat(64), normal: "A".repeat(64) },
    { typed: `${"A".repeat(32)}-${"B".repeat(32)}`, normal: `${"A".repeat(32)}${"B".repeat(32)}` },
    // Typed with a Japanese or Chinese input method: full-width letters, digits and space.
    { typed: "ｓｈｏｐ１０", normal: "SHOP10" },
    { typed: "ＢＦ　２０２６", normal: "BF2026" },
    // Copied out of an email or a PDF: typographic dashes and invisible characters.
    { typed: "BF–2026", normal: "BF2026" },
    { typed: "BF—2026", normal: "BF2026" },
    { typed: "BF\u20112026", normal: "BF2026" },
    { typed: "BF\u22122026", normal: "BF2026" },
    { typed: "BF\u00AD2026", normal: "BF2026" },
    { typed: "\u200BBF2026\uFEFF", normal: "BF2026" },
    { typed: "BF\u200D2026\u2060", normal: "BF2026" },
    { typed: "BF\u00A02026", normal: "BF2026" },
  ])("$typed is stored as $normal", ({ typed, normal }) => {
    expect(normalizePromoCode(typed)).toBe(normal);
  });

  it.each([
    { typed: "", why: "empty" },
    { typed: "ab", why: "two characters" },
    { typed: "a-b", why: "two characters once the hyphen is dropped" },
    { typed: "A".repeat(65), why: "65 characters" },
    { typed: "SUMMER_10", why: "an underscore" },
    { typed: "ÉTÉ2026", why: "a letter outside A-Z" },
    { typed: "10%OFF", why: "a symbol" },
    { typed: "CODE.1", why: "a dot" },
    { typed: "ＣＯＤＥ．１", why: "a full-width dot" },
    { typed: "\u200B\u200Bab\u00AD", why: "two characters once the invisible ones are dropped" },
  ])("$typed is not a code ($why)", ({ typed }) => {
    expect(normalizePromoCode(typed)).toBeNull();
  });
});

describe("checkCodePattern", () => {
  it.each([DEFAULT_CODE_PATTERN, "BF-####-######", "##########", "bf ##########", `${"#".repeat(64)}`])("%s is usable", (p) => {
    expect(checkCodePattern(p)).toBeNull();
  });

  it.each([
    { pattern: "", why: /1 to 64/ },
    { pattern: "#".repeat(65), why: /1 to 64/ },
    { pattern: "#########", why: /at least 10 `#`.*has 9/ },
    { pattern: "BF-####-####", why: /has 8/ },
    { pattern: "##########_", why: /letters, digits/ },
    { pattern: "??????????", why: /letters, digits/ },
  ])("$pattern is refused", ({ pattern, why }) => {
    expect(checkCodePattern(pattern)).toMatch(why);
  });
});

describe("codeFromPattern", () => {
  const bytesFrom = (seed: number, n: number) => {
    const r = seededRandom(seed);
    return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  };

  it("keeps the literal characters and fills each # from the alphabet", () => {
    const p = "BF-####-######";
    const code = codeFromPattern(p, bytesFrom(1, patternRandomBytes(p)));
    expect(code).toMatch(/^BF-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{6}$/);
    expect(normalizePromoCode(code)).toBe(code.replace(/-/g, ""));
  });

  it("is a function of the bytes: the same bytes give the same code, other bytes another", () => {
    const n = patternRandomBytes(DEFAULT_CODE_PATTERN);
    expect(codeFromPattern(DEFAULT_CODE_PATTERN, bytesFrom(7, n))).toBe(codeFromPattern(DEFAULT_CODE_PATTERN, bytesFrom(7, n)));
    expect(codeFromPattern(DEFAULT_CODE_PATTERN, bytesFrom(7, n))).not.toBe(codeFromPattern(DEFAULT_CODE_PATTERN, bytesFrom(8, n)));
  });

  it("asks for 5 bits per # plus 64, so the bias of the draw is below 2^-64", () => {
    expect(patternRandomBytes("##########")).toBe(Math.ceil((50 + 64) / 8));
    expect(patternRandomBytes(DEFAULT_CODE_PATTERN)).toBe(Math.ceil((60 + 64) / 8));
  });

  it("refuses too few bytes and unusable patterns rather than make a weak code", () => {
    expect(() => codeFromPattern(DEFAULT_CODE_PATTERN, new Uint8Array(4))).toThrow(/random bytes/);
    expect(() => codeFromPattern("####", new Uint8Array(64))).toThrow(/at least 10/);
  });

  it("uses every character of the alphabet about equally often (20,000 codes, chi-squared)", () => {
    const p = "##########";
    const n = patternRandomBytes(p);
    const counts = new Map<string, number>([...CODE_ALPHABET].map((c) => [c, 0]));
    const r = seededRandom(42);
    for (let i = 0; i < 20_000; i++) {
      const code = codeFromPattern(p, Uint8Array.from({ length: n }, () => Math.floor(r() * 256)));
      for (const ch of code) counts.set(ch, counts.get(ch)! + 1);
    }
    const expected = (20_000 * 10) / CODE_ALPHABET.length;
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 28 degrees of freedom: 56.9 is the 0.1% critical value. A biased draw (say, byte % 29) lands far above.
    expect(chi2).toBeLessThan(56.9);
  });
});
