import { spawn, type ChildProcess } from "node:child_process";
import { nodeFlags } from "../packages/cli/bin/node-flags.js";
import { readFileSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";

/**
 * The Patron server as a child process, started the way an operator starts it (`patron serve`), so
 * the figures include everything a deployment pays for: HTTP parsing, validation, auth, the pool.
 */

/** Every child this benchmark started; `killAllChildren` ends them on any exit path. */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Last resort, synchronous (safe inside process.on("exit")): SIGKILL each child we started, by pid. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export interface ServerProcess {
  pid: number;
  url: string;
  /** SIGTERM (the server closes its pool and exits), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  cwd: string;
  env: Record<string, string>;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeFlags?: string[];
  startTimeoutMs?: number;
  label: string;
}

const URL_LINE = /Patron is running at (http:\/\/\S+)/;
/** How many lines of server output to echo (`BENCH_ECHO_LINES`, e.g. to see a `--trace-gc` log whole). */
const MAX_ECHOED_LINES = Number(process.env.BENCH_ECHO_LINES ?? "20");

export async function startServerProcess(opts: ServerOptions): Promise<ServerProcess> {
  const child = track(
    // As bin/patron.js starts the server (the heap limit, the TypeScript hooks), then the bench's own flags.
    spawn(process.execPath, [...nodeFlags(opts.env), ...(opts.nodeFlags ?? []), ...extraNodeFlags(), "--import", "./packages/cli/bin/register.js", "packages/cli/src/main.ts", "serve"], {
      cwd: opts.cwd,
      // Only what we pass: no DATABASE_URL or PATRON_* leaking in from the caller's shell.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const recent: string[] = [];
  let echoed = 0;
  let stopping = false;
  let announce: (url: string) => void = () => {};
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > 50) recent.shift();
    const m = URL_LINE.exec(line);
    if (m) return announce(m[1]!);
    // LOG_LEVEL=warn: anything the server logs under load is worth seeing, but not ten thousand times.
    if (echoed < MAX_ECHOED_LINES) console.error(`  [${opts.label} server] ${line.slice(0, 400)}`);
    else if (echoed === MAX_ECHOED_LINES) console.error(`  [${opts.label} server] (further server output suppressed)`);
    echoed++;
  };
  createInterface({ input: child.stdout! }).on("line", onLine);
  createInterface({ input: child.stderr! }).on("line", onLine);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`  [${opts.label} server] exited (code ${code}, signal ${signal})\n${recent.slice(-10).join("\n")}`);
  });

  const startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${opts.label} server did not start within ${startTimeoutMs} ms:\n${recent.slice(-10).join("\n")}`));
    }, startTimeoutMs);
    announce = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} server exited during start (code ${child.exitCode}, signal ${child.signalCode})`));
    });
  });

  return {
    pid: child.pid!,
    url,
    async stop(graceMs = 15_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in MB (VmRSS), or null once it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts CPU time in these ticks.

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL process that works for `database`: its backends and
 * autovacuum workers (their process title names the database) and the shared WAL writer,
 * checkpointer and background writer. Other databases' backends (a test suite running alongside)
 * are left out. Per pid, so a process that ends does not make the sum go down.
 */
export function postgresCpuByPid(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (!title.startsWith("postgres:")) continue;
      if (title.includes(` ${database} `) || /: (walwriter|checkpointer|background writer)/.test(title)) out.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/** CPU seconds between two `postgresCpuByPid` readings (a pid new in `after` counts from 0). */
export function postgresCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += Math.max(0, s - (before.get(pid) ?? 0));
  return total;
}

/** Samples a process's RSS every `everyMs` until stopped; `max` is the highest seen. */
export class RssSampler {
  max = 0;
  samples = 0;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample() {
    const mb = rssMb(this.pid);
    if (mb === null) return;
    this.samples++;
    if (mb > this.max) this.max = mb;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.max;
  }
}

/** `BENCH_SERVER_NODE_FLAGS`: extra node flags for the server child, e.g. `--import ./bench/query-timing.mjs`. */
function extraNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter((f) => f.length > 0);
}
