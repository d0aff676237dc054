import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The `patron` CLI as an operator runs it: a real process on embedded PGlite in a fresh data
 * directory. Each spawn starts PGlite (several seconds), so the commands run in one sequence that
 * builds on itself, and the cases that need no shared state run alongside it in their own directories.
 */

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const MAIN = join(ROOT, "packages/cli/src/main.ts");
// As bin/patron.js runs it: through the TypeScript hooks of bin/ts-hooks.js.
const REGISTER = pathToFileURL(join(ROOT, "packages/cli/bin/register.js")).href;
const SLOW = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function patron(dataDir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATRON_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  Object.assign(env, extraEnv);
  return new Promise((done) => {
    execFile(process.execPath, ["--import", REGISTER, MAIN, ...args], { cwd: ROOT, env, timeout: SLOW }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const json = (r: Run) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), "patron-cli-test-"));
  dirs.push(d);
  return d;
};

let dataDir: string;

/**
 * Commands that must refuse, each with the exit code and what stderr must say; `quiet`: nothing on
 * stdout, `noStack`: no stack trace. Started in beforeAll, each in its own directory, and awaited by
 * their tests: they run while the main sequence runs.
 */
const REFUSALS: { spec: string; args: string[]; env?: NodeJS.ProcessEnv; code: number; says: string[]; quiet?: boolean; noStack?: boolean }[] = [
  { spec: "an unknown command exits with code 2 and the usage", args: ["frobnicate"], code: 2, says: ['Unknown command "frobnicate"', "Usage:"], quiet: true },
  { spec: "programs create without --currency exits with code 2 and says what is missing", args: ["programs", "create", "--name", "No Currency", "--time-zone", "UTC", "--json"], code: 2, says: ["--currency"], quiet: true },
  { spec: "demo --customers abc exits with code 2 and names the option (it made an empty demo)", args: ["demo", "--customers", "abc"], code: 2, says: ['--customers must be a whole number from 1 to 100000, not "abc"'], quiet: true },
  {
    spec: "programs create is checked as POST /v1/programs checks it: empty locales and points names exit with code 2 (they were stored)",
    args: ["programs", "create", "--name", "Empty", "--currency", "USD", "--time-zone", "UTC", "--locales", ",,", "--points-singular="],
    code: 2,
    says: ["--locales (item 1): a BCP 47 tag", "--points-singular:"],
    quiet: true,
  },
  { spec: "keys create --name= exits with code 2 (it made a key with an empty name)", args: ["keys", "create", "--program", "prg_x", "--kind", "secret", "--name="], code: 2, says: ["--name must be 1 to 100 characters"] },
  { spec: "a wrong configuration value exits with code 2 and names it", args: ["migrate"], env: { PORT: "abc" }, code: 2, says: ["PORT:"], noStack: true },
  { spec: "a database it cannot reach exits with code 1 and says why in one line, not a stack trace", args: ["migrate"], env: { DATABASE_URL: "postgres://nobody@127.0.0.1:1/patron" }, code: 1, says: ["patron: connect ECONNREFUSED 127.0.0.1:1"], noStack: true },
  { spec: "an unknown option exits with code 2 and the usage, not a stack trace", args: ["keys", "list", "--program", "prg_x", "--bogus"], code: 2, says: ["Unknown option '--bogus'", "Usage:"], noStack: true },
];
const refused = new Map<string, Promise<Run>>();
let demo: Promise<Run>;

beforeAll(() => {
  dataDir = freshDir();
  for (const r of REFUSALS) refused.set(r.spec, patron(freshDir(), r.args, r.env));
  // LOG_LEVEL info, as an operator's shell has it: the demo's own server must not log into what it prints.
  demo = patron(freshDir(), ["demo", "--customers", "3", "--months", "1", "--json"], { LOG_LEVEL: "info", HOST: "127.0.0.1", PORT: "4799" });
});
afterAll(async () => {
  await Promise.allSettled([...refused.values(), demo]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, SLOW);

describe("patron CLI on embedded PGlite", () => {
  let programId: string;
  let createdKey: { id: string; secret: string };

  it("migrate --json applies the migrations", { timeout: SLOW }, async () => {
    expect(json(await patron(dataDir, ["migrate", "--json"]))).toEqual({ migrated: true });
  });

  it("programs create --json prints the program and its secret and publishable keys", { timeout: SLOW }, async () => {
    const out = json(await patron(dataDir, ["programs", "create", "--name", "Cà Phê Sữa", "--currency", "VND", "--time-zone", "Asia/Ho_Chi_Minh", "--json"]));
    expect(out.program).toMatchObject({ name: "Cà Phê Sữa", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" });
    expect(out.program.id).toMatch(/^prg_/);
    expect(out.secretKey).toMatch(/^sk_[A-Za-z0-9]{16,}$/);
    expect(out.publishableKey).toMatch(/^pk_[A-Za-z0-9]{16,}$/);
    programId = out.program.id;
  });

  it("programs list --json lists it", { timeout: SLOW }, async () => {
    const out = json(await patron(dataDir, ["programs", "list", "--json"]));
    expect(out).toEqual([{ id: programId, name: "Cà Phê Sữa", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" }]);
  });

  it("keys create --json prints the new key with its secret, once", { timeout: SLOW }, async () => {
    const out = json(await patron(dataDir, ["keys", "create", "--program", programId, "--kind", "secret", "--name", "POS", "--json"]));
    expect(out).toMatchObject({ kind: "secret", name: "POS", revokedAt: null });
    expect(out.id).toMatch(/^key_/);
    expect(out.secret).toMatch(/^sk_/);
    createdKey = out;
  });

  it("keys revoke --json revokes it", { timeout: SLOW }, async () => {
    const out = json(await patron(dataDir, ["keys", "revoke", "--program", programId, "--key", createdKey.id, "--json"]));
    expect(out.id).toBe(createdKey.id);
    expect(typeof out.revokedAt).toBe("string");
  });

  it("keys list --json lists every key of the program without secrets", { timeout: SLOW }, async () => {
    const r = await patron(dataDir, ["keys", "list", "--program", programId, "--json"]);
    const out = json(r);
    expect(out.map((k: any) => k.name).sort()).toEqual(["Default publishable key", "Default secret key", "POS"]);
    expect(out.find((k: any) => k.id === createdKey.id).revokedAt).not.toBeNull();
    for (const k of out) {
      expect(k).not.toHaveProperty("secret");
      expect(k).not.toHaveProperty("hash");
    }
    expect(r.stdout).not.toContain(createdKey.secret.slice(3));
  });

  it.each(REFUSALS)("$spec", { timeout: SLOW }, async ({ spec, code, says, quiet, noStack }) => {
    const r = await refused.get(spec)!;
    expect(r.code).toBe(code);
    for (const text of says) expect(r.stderr).toContain(text);
    if (quiet) expect(r.stdout).toBe("");
    if (noStack) expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("a second process on a data directory a server is using exits with code 1 and names the server's process", { timeout: SLOW }, async () => {
    const dir = freshDir();
    const env: NodeJS.ProcessEnv = { ...process.env, PATRON_DATA_DIR: dir, LOG_LEVEL: "warn", PORT: "0" };
    delete env.DATABASE_URL;
    const server = spawn(process.execPath, ["--import", REGISTER, MAIN, "serve"], { cwd: ROOT, env });
    try {
      await new Promise<void>((up, failed) => {
        server.stdout.on("data", (b: Buffer) => b.toString().includes("Patron is running") && up());
        server.once("exit", (code) => failed(new Error(`serve exited with ${code}`)));
      });
      const r = await patron(dir, ["migrate"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is in use by process ${server.pid}`);
    } finally {
      server.kill("SIGTERM");
      await new Promise((done) => server.once("exit", done));
    }
    // Stopped, it let go of the directory.
    expect(json(await patron(dir, ["migrate", "--json"]))).toEqual({ migrated: true });
  });

  it("demo --json prints only its JSON: the program, its keys and where `patron serve` will listen", { timeout: SLOW }, async () => {
    const out = json(await demo);
    expect(out).toMatchObject({ url: "http://127.0.0.1:4799", running: false, docs: "http://127.0.0.1:4799/docs" });
    expect(out.programId).toMatch(/^prg_/);
    expect(out.secretKey).toMatch(/^sk_/);
    expect(out.eventsLoaded).toBeGreaterThan(3);
  });
});
