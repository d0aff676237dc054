import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * bin/patron.js as a supervisor meets it: it runs the server in a child node, so a SIGTERM sent to it
 * alone (`docker stop`, systemd's main process) must reach the server, which closes and exits 0.
 */

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const BIN = join(ROOT, "packages/cli/bin/patron.js");
const dir = mkdtempSync(join(tmpdir(), "patron-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bin/patron.js", () => {
  it("passes SIGTERM to the server it runs: the server stops, the port closes, and both exit 0", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATRON_DATA_DIR: join(dir, "data"), PORT: "0", LOG_LEVEL: "warn", PATRON_JOBS: "0" };
    delete env.DATABASE_URL;
    const proc = spawn(process.execPath, [BIN, "serve"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URL within 60 s:\n${output}`)), 60_000);
      proc.stdout.on("data", (b: Buffer) => {
        output += String(b);
        const m = /Patron is running at (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          done(m[1]!);
        }
      });
      proc.stderr.on("data", (b: Buffer) => (output += String(b)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((done) => proc.on("exit", (code) => done(code)));
    proc.kill("SIGTERM"); // the bin's own pid only, not its process group
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 90_000);
});
