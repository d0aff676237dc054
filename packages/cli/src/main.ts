/**
 * The `patron` command. Operator commands (serve, migrate, programs, keys) work on the database
 * through @patron/server; the demo loads its data through the public HTTP API like a store would.
 */
import { parseArgs } from "node:util";
import { asc, eq, and, like, isNull } from "drizzle-orm";
import { KeyCreate, ProgramCreate, analyzeTables, parseConfig, startServer, openDatabase, createContext, createLogger, createProgram, createKey, listKeys, revokeKey, findProgram, type Config, type AppContext } from "@patron/server";
import { programs, apiKeys } from "@patron/server/src/db/schema.ts";
import { DEMO_CAMPAIGNS, DEMO_PROGRAM, DEMO_RULES, DEMO_TIERS, demoEvents } from "./demo.ts";

const HELP = `patron: the Patron loyalty engine

Usage:
  patron serve [--demo]                 run the API (embedded PGlite unless DATABASE_URL is set)
                                        --demo: create the demo program on first start, print a key
  patron migrate                        apply database migrations
  patron demo [--customers N] [--months N]
                                        create a demo café program with customers and a year of orders
  patron programs create --name NAME --currency CUR --time-zone TZ
                        [--points-singular S] [--points-plural P] [--locale L] [--locales L1,L2]
  patron programs list
  patron keys create --program PRG --kind secret|publishable [--name NAME]
  patron keys list --program PRG
  patron keys revoke --program PRG --key KEY

Every command that prints data takes --json. Configuration comes from the environment
(DATABASE_URL, PATRON_DATA_DIR, PORT, HOST, LOG_LEVEL, ...): see the README.`;

const out = (json: boolean, data: unknown, text: string) => console.log(json ? JSON.stringify(data, null, 2) : text);

async function withContext<T>(config: Config, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    await database.migrate();
    return await fn(createContext(database, createLogger("warn")));
  } finally {
    await database.close();
  }
}

/** Sends the demo's events through the batch endpoint, 1,000 at a time. */
async function loadDemo(url: string, secret: string, customers: number, months: number, now: Date) {
  const create = async (path: string, body: { name: string }) => {
    const res = await fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`demo ${path} "${body.name}" refused: ${res.status} ${await res.text()}`);
  };
  for (const rule of DEMO_RULES) await create("/v1/rules", rule);
  for (const campaign of DEMO_CAMPAIGNS) await create("/v1/campaigns", campaign);
  const tiers = await fetch(`${url}/v1/tiers`, { method: "PUT", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify({ tiers: DEMO_TIERS }) });
  if (tiers.status !== 200) throw new Error(`demo tiers refused: ${tiers.status} ${await tiers.text()}`);
  const events = demoEvents({ customers, months, seed: 7, now });
  let accepted = 0;
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${url}/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ events: events.slice(i, i + 1000) }),
    });
    if (!res.ok) throw new Error(`demo load failed: ${res.status} ${await res.text()}`);
    accepted += ((await res.json()) as { accepted: number }).accepted;
  }
  return { events: events.length, accepted };
}

async function createDemo(ctx: AppContext, url: string, customers: number, months: number) {
  const r = await createProgram(ctx, DEMO_PROGRAM);
  if (!r.ok) throw new Error(r.error.message);
  const loaded = await loadDemo(url, r.value.secretKey.secret, customers, months, ctx.clock.now());
  // A year of data just arrived: give the planner its statistics now rather than at the next settlement tick.
  await analyzeTables(ctx);
  return { program: r.value.program, secretKey: r.value.secretKey.secret, publishableKey: r.value.publishableKey.secret, ...loaded };
}

/**
 * `running`: the server is up at `url` (serve --demo). Otherwise (`patron demo`) the data is loaded
 * and the server that loaded it is gone: `url` is where `patron serve` will listen.
 */
function printDemo(json: boolean, url: string, d: { program: { id: string; name: string }; secretKey: string; publishableKey?: string | undefined; events?: number }, running = true) {
  out(
    json,
    { url, running, programId: d.program.id, secretKey: d.secretKey, publishableKey: d.publishableKey ?? null, docs: `${url}/docs`, eventsLoaded: d.events ?? 0 },
    [
      ``,
      running ? `  Patron is running at ${url}` : `  Demo data loaded. Start Patron with \`npm start\` (or \`patron serve\`): it will listen at ${url}`,
      `  Demo program:  ${d.program.name} (${d.program.id})${d.events ? `, ${d.events} events loaded` : ""}`,
      `  Secret key:    ${d.secretKey}   (shown once; keep it)`,
      ...(d.publishableKey ? [`  Publishable:   ${d.publishableKey}`] : []),
      `  API reference: ${url}/docs`,
      ``,
      `  Try:  curl -s -H "Authorization: Bearer ${d.secretKey}" ${url}/v1/customers?limit=3`,
      `        curl -s -H "Authorization: Bearer ${d.secretKey}" ${url}/v1/customers/demo-0001/balances`,
      ``,
    ].join("\n"),
  );
}

/** Where `patron serve` listens with this configuration, as a URL (IPv6 hosts in brackets). */
const serveUrl = (config: Config) => `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;

/** A whole-number option within bounds, or a usage error naming it (Number("abc") is NaN, and a demo of NaN customers was empty). */
function wholeOption(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) usage(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

/** node's parseArgs, with its errors (an unknown option, a missing value) as usage errors rather than stack traces. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        demo: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        name: { type: "string" },
        currency: { type: "string" },
        "time-zone": { type: "string" },
        "points-singular": { type: "string" },
        "points-plural": { type: "string" },
        locale: { type: "string" },
        locales: { type: "string" },
        program: { type: "string" },
        kind: { type: "string" },
        key: { type: "string" },
        customers: { type: "string", default: "300" },
        months: { type: "string", default: "12" },
      },
    });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) usage(`${(e as Error).message}\n\n${HELP}`);
    throw e;
  }
}

async function main(argv: string[]) {
  const { values, positionals } = parseCommandLine(argv);
  const [cmd, sub] = positionals;
  const json = values.json!;
  if (values.help || !cmd) return console.log(HELP);
  const config = configFrom(process.env);
  const demoSize = () => ({ customers: wholeOption("customers", values.customers!, 1, 100_000), months: wholeOption("months", values.months!, 1, 120) });

  switch (cmd) {
    case "serve": {
      const size = values.demo ? demoSize() : null;
      const server = await startServer(config);
      if (size) {
        const ctx = server.ctx;
        const [existing] = await ctx.db.select().from(programs).where(eq(programs.name, DEMO_PROGRAM.name)).orderBy(asc(programs.id)).limit(1);
        if (!existing) {
          printDemo(json, server.url, await createDemo(ctx, server.url, size.customers, size.months));
        } else {
          // Keys are shown once, so each start prints a new session key and retires the last one.
          const old = await ctx.db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.programId, existing.id), like(apiKeys.name, "Demo session%"), isNull(apiKeys.revokedAt)));
          for (const k of old) await revokeKey(ctx, ctx.db, existing.id, k.id, "cli:demo");
          const key = await createKey(ctx, ctx.db, existing.id, { kind: "secret", name: "Demo session key" });
          printDemo(json, server.url, { program: existing, secretKey: key.secret });
        }
      } else {
        out(json, { url: server.url }, `Patron is running at ${server.url} (API reference: ${server.url}/docs)`);
      }
      // Once: Ctrl-C signals both bin/patron.js and this process, and the bin passes it on as well.
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await server.close();
        process.exit(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      return;
    }
    case "migrate":
      await withContext(config, async () => {});
      return out(json, { migrated: true }, "Migrations applied.");
    case "demo": {
      const size = demoSize();
      // A server of its own on a free port, quiet: its request logs would mix with what this prints (and break --json).
      const server = await startServer({ ...config, port: 0, settleIntervalSeconds: 0, jobs: false, logLevel: "warn" });
      try {
        printDemo(json, serveUrl(config), await createDemo(server.ctx, server.url, size.customers, size.months), false);
      } finally {
        await server.close();
      }
      return;
    }
    case "programs": {
      // Arguments are checked before the database is opened (opening and migrating takes seconds).
      if (sub !== "list" && sub !== "create") throw new UsageError("programs: create or list");
      const create =
        sub !== "create" ? null
        : values.name && values.currency && values["time-zone"] ? programInput(values.name, values.currency, values["time-zone"], values)
        : usage("programs create needs --name, --currency and --time-zone");
      return withContext(config, async (ctx) => {
        if (sub === "list") {
          const rs = await ctx.db.select().from(programs).orderBy(asc(programs.id));
          return out(json, rs.map((p) => ({ id: p.id, name: p.name, currency: p.currency, timeZone: p.timeZone })), rs.map((p) => `${p.id}  ${p.currency}  ${p.timeZone}  ${p.name}`).join("\n") || "No programs yet.");
        }
        if (create) {
          const r = await createProgram(ctx, create);
          if (!r.ok) throw new UsageError(`${r.error.code}: ${r.error.message}`);
          const v = r.value;
          return out(json, { program: v.program, secretKey: v.secretKey.secret, publishableKey: v.publishableKey.secret }, `Created ${v.program.id} (${v.program.name})\nSecret key:      ${v.secretKey.secret}\nPublishable key: ${v.publishableKey.secret}\nKeys are shown once.`);
        }
        throw new Error("unreachable: checked before opening the database");
      });
    }
    case "keys": {
      const program = values.program ?? usage("keys needs --program prg_…");
      if (sub !== "list" && sub !== "create" && sub !== "revoke") usage("keys: create, list or revoke");
      const kind = sub !== "create" ? null : values.kind === "secret" || values.kind === "publishable" ? values.kind : usage("keys create needs --kind secret or --kind publishable");
      // As POST /v1/keys takes it: --name= made a key with an empty name.
      const keyName = kind ? (KeyCreate.shape.name.safeParse(values.name ?? `${kind} key`).data ?? usage("--name must be 1 to 100 characters")) : null;
      const key = sub !== "revoke" ? null : (values.key ?? usage("keys revoke needs --key key_…"));
      return withContext(config, async (ctx) => {
        if (!(await findProgram(ctx.db, program))) throw new UsageError(`No program ${program}`);
        if (sub === "list") {
          const ks = await listKeys(ctx.db, program);
          return out(json, ks, ks.map((k) => `${k.id}  ${k.kind.padEnd(11)}  ${k.hint}  ${k.revokedAt ? "revoked" : "active "}  ${k.name}`).join("\n"));
        }
        if (kind && keyName) {
          const k = await createKey(ctx, ctx.db, program, { kind, name: keyName });
          return out(json, k, `Created ${k.id}: ${k.secret}\nShown once; only a hash is stored.`);
        }
        if (key) {
          const r = await revokeKey(ctx, ctx.db, program, key, "cli");
          if (!r.ok) throw new UsageError(r.error.message);
          return out(json, r.value, `Revoked ${r.value.id}.`);
        }
        throw new Error("unreachable: checked before opening the database");
      });
    }
    default:
      throw new UsageError(`Unknown command "${cmd}".\n\n${HELP}`);
  }
}

/**
 * `programs create`'s options as POST /v1/programs takes them, checked by the same schema: without
 * it the CLI stored what the API refuses (`--locales ,,` made three empty locales, `--points-singular=`
 * an empty points name). `--locale` defaults to the first of `--locales`.
 */
function programInput(name: string, currency: string, timeZone: string, v: { "points-singular"?: string; "points-plural"?: string; locale?: string; locales?: string }) {
  const locales = v.locales?.split(",").map((l) => l.trim());
  const input = Object.fromEntries(
    Object.entries({ name, currency, timeZone, pointsSingular: v["points-singular"], pointsPlural: v["points-plural"], defaultLocale: v.locale ?? locales?.[0], supportedLocales: locales }).filter(([, x]) => x !== undefined),
  );
  const r = ProgramCreate.safeParse(input);
  if (!r.success) usage(`programs create: ${r.error.issues.map((i) => `${OPTION_OF[String(i.path[0])] ?? String(i.path[0])}${i.path.length > 1 ? ` (item ${Number(i.path[1]) + 1})` : ""}: ${i.message}`).join("; ")}`);
  return r.data;
}
const OPTION_OF: Record<string, string> = { name: "--name", currency: "--currency", timeZone: "--time-zone", pointsSingular: "--points-singular", pointsPlural: "--points-plural", defaultLocale: "--locale", supportedLocales: "--locales" };

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

/** The environment's configuration; a wrong value (PORT=abc, a mysql:// DATABASE_URL) is a usage error naming it. */
function configFrom(env: NodeJS.ProcessEnv): Config {
  try {
    return parseConfig(env);
  } catch (e) {
    return usage((e as Error).message);
  }
}

// Failures print their message, not a stack trace (an unreachable database was twenty lines of
// pg-pool internals); LOG_LEVEL=debug or trace shows the stack.
main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UsageError) console.error(e.message);
  else if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? "")) console.error(e);
  else console.error(`patron: ${e instanceof Error ? e.message : String(e)} (LOG_LEVEL=debug shows where)`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
