import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nodeFlags } from "../bin/node-flags.js";

const BIN = resolve(fileURLToPath(new URL("../bin/patron.js", import.meta.url)));

describe("the node flags bin/patron.js starts Patron with", () => {
  it("caps the old generation at 192 MB unless PATRON_MAX_HEAP_MB says otherwise; 0 leaves node's default", () => {
    expect(nodeFlags({})).toEqual(["--max-old-space-size=192"]);
    expect(nodeFlags({ PATRON_MAX_HEAP_MB: "512" })).toEqual(["--max-old-space-size=512"]);
    expect(nodeFlags({ PATRON_MAX_HEAP_MB: "0" })).toEqual([]);
  });

  it.each(["63", "-1", "1.5", "lots", ""])("refuses PATRON_MAX_HEAP_MB=%j with a message saying what it takes", (raw) => {
    expect(() => nodeFlags({ PATRON_MAX_HEAP_MB: raw })).toThrow(/PATRON_MAX_HEAP_MB must be a whole number of megabytes, at least 64/);
  });

  it("a bad value stops bin/patron.js before anything starts, with exit code 2", async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((done) =>
      execFile(process.execPath, [BIN, "--help"], { env: { ...process.env, PATRON_MAX_HEAP_MB: "lots" } }, (error, _stdout, stderr) =>
        done({ code: error ? (error.code as number) : 0, stderr: String(stderr) }),
      ),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PATRON_MAX_HEAP_MB must be/);
  });
});
