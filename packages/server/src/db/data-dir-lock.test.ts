import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDirInUse, lockDataDir } from "./data-dir-lock.ts";

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "patron-lock-"));
  dirs.push(d);
  return join(d, "data");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("lockDataDir", () => {
  it("holds the directory until released: a second lock is DataDirInUse naming the holder, then the directory is free again", () => {
    const dir = fresh();
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8")).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
    expect(() => lockDataDir(dir)).toThrow(`in use by process ${process.pid}`);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir)();
  });

  it("refuses a directory a live process holds, and takes over one whose process is gone", async () => {
    const dir = fresh();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      writeFileSync(`${dir}.lock`, String(child.pid));
      expect(() => lockDataDir(dir)).toThrow(`in use by process ${child.pid}`);
    } finally {
      child.kill("SIGKILL");
      await new Promise((done) => child.once("exit", done));
    }
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8")).toBe(String(process.pid));
    release();
  });

  it("takes over a lock that holds this process's pid but that it did not write (a restarted container reuses pids)", () => {
    const dir = fresh();
    writeFileSync(`${dir}.lock`, String(process.pid));
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});
