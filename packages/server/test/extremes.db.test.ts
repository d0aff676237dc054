/**
 * Extreme but schema-valid requests to every mutating endpoint: for each request body in openapi.json,
 * bodies generated with every number and list at its upper bound ("max"), numbers at their bound with
 * one item per list ("big"), and the smallest valid body ("min"), through each branch of its unions.
 * Each field alone is within bounds; what they make together may not be (sums and products past 2^53
 * once made carts answer 500). Nothing may answer 5xx, and no 2xx answer may hold an integer past
 * 2^53 (no longer exact). Path parameters name fixtures made first (the smallest valid bodies).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { Database } from "../src/db/connect.ts";
import { testApi, testDatabase, type TestApi } from "./harness.ts";

type S = Record<string, any>;
const spec = JSON.parse(readFileSync(new URL("../../../openapi.json", import.meta.url), "utf8"));
const deref = (s: S): S => (s?.$ref ? deref(spec.components.schemas[s.$ref.split("/").pop()]) : s);

const STRINGS = ["x", "1234", "A1", "USD", "VND", "2026-01-01", "2026-01-01T00:00:00Z", "00:00", "12:30", "Asia/Ho_Chi_Minh", "en", "+14155550100", "a@example.com", "https://example.com/x", "ABC-123", "1"];

/** One schema-valid value per variant: "max" pushes every number and list to its bound, "min" to the other. */
function gen(s0: S, mode: "max" | "min" | "big", branch: number, depth = 0): unknown {
  const s = deref(s0);
  if (depth > 8) return undefined;
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x: S) => gen(x, mode, branch, depth + 1)));
  if (s.oneOf || s.anyOf) {
    const opts = (s.oneOf ?? s.anyOf) as S[];
    return gen(opts[branch % opts.length]!, mode, Math.floor(branch / opts.length), depth + 1);
  }
  if (s.enum) return s.enum[mode === "max" ? s.enum.length - 1 : 0];
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  switch (type) {
    case "integer": {
      const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
      const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000_000_000);
      return mode !== "min" ? hi : lo;
    }
    case "number": {
      const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 0.01 : 0);
      const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 0.01 : 1_000_000);
      return mode !== "min" ? hi : lo;
    }
    case "boolean":
      return mode !== "min";
    case "string": {
      if (s.format === "date-time") return mode === "max" ? "9999-12-31T00:00:00Z" : "2026-01-01T00:00:00Z";
      if (s.format === "date") return "2026-01-01";
      if (s.format === "email") return "a@example.com";
      const re = s.pattern ? new RegExp(s.pattern) : null;
      let v = STRINGS.find((x) => !re || re.test(x)) ?? "x";
      const min = s.minLength ?? 0;
      const max = s.maxLength ?? 64;
      if (mode === "max" && (!re || re.test(v.padEnd(max, "x")))) v = v.padEnd(Math.min(max, 300), "x");
      if (v.length < min) v = v.padEnd(min, "x");
      return v;
    }
    case "array": {
      const n = mode === "max" ? Math.min(s.maxItems ?? 3, 200) : Math.max(s.minItems ?? 0, 1);
      return Array.from({ length: n }, (_, i) => {
        const v = gen(s.items ?? {}, mode, branch + i, depth + 1);
        // Distinct strings where lists want them (skus, tags, codes), within their length.
        return typeof v === "string" && !(deref(s.items ?? {}).enum) && i > 0 ? v.slice(0, Math.max(1, v.length - String(i).length)) + i : v;
      });
    }
    case "object":
    default: {
      const out: S = {};
      for (const [k, p] of Object.entries((s.properties ?? {}) as S)) {
        if (!(s.required ?? []).includes(k) && mode === "min") continue;
        const v = gen(p, mode, branch, depth + 1);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
  }
}

/** Numbers in an answer that are not exact integers where integers are expected (past 2^53). */
function inexact(v: unknown, path = "$"): string[] {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v) ? [`${path}=${v}`] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => inexact(x, `${path}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => inexact(x, `${path}.${k}`));
  return [];
}

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

it("schema-valid extreme values never answer 5xx nor an inexact integer", async () => {
  const api: TestApi = await testApi({ database });
  // Fixtures the path parameters name: a customer with points, and one of each thing made by the
  // smallest valid body of its creating endpoint.
  await api.call("PUT", "/v1/customers/c1", { email: "c1@example.com" });
  await api.call("PUT", "/v1/customers/gone", { email: "gone@example.com" });
  const adjustment = await api.call("POST", "/v1/customers/c1/adjustments", { amount: 1_000_000, reason: "seed" });
  const params: Record<string, string> = { externalId: "c1", transactionId: adjustment.body.id };
  const make = async (path: string, param: string, field = "id") => {
    const schema = spec.paths[path].post.requestBody.content["application/json"].schema;
    for (let k = 0; k < 24 && params[param] === undefined; k++) {
      const r = await api.call("POST", path, gen(schema, k < 12 ? "min" : "big", k % 12));
      if (r.status < 300 && typeof r.body?.[field] === "string") params[param] = r.body[field];
    }
  };
  await make("/v1/rules", "ruleId");
  await make("/v1/rewards", "rewardId");
  await make("/v1/campaigns", "campaignId");
  await make("/v1/stamp-cards", "cardId");
  await make("/v1/staff", "staffId");
  await make("/v1/gift-cards", "code", "code");
  // What the smallest bodies could not make (a code campaign wants its code, a reward its config), by hand.
  const id = async (p: Promise<{ status: number; body: any }>, field = "id") => {
    const r = await p;
    return r.status < 300 && typeof r.body?.[field] === "string" ? (r.body[field] as string) : undefined;
  };
  const reward = params.rewardId ?? (await id(api.call("POST", "/v1/rewards", { name: "Mug", kind: "physical_gift", cost: 10, stock: 100 })));
  if (reward) params.rewardId = reward;
  const campaign = params.campaignId ?? (await id(api.call("POST", "/v1/campaigns", { name: "Pool", kind: "bulk_codes", effects: [{ kind: "order_fixed", amount: 100 }] })));
  if (campaign) params.campaignId = campaign;
  const redemption = await id(api.call("POST", "/v1/customers/c1/redemptions", { rewardId: params.rewardId }));
  if (redemption) params.redemptionId = redemption;
  await api.call("POST", "/v1/customers/c1/wallet/adjustments", { asset: "cash", amount: 1_000_000, reason: "seed" });
  const payout = await id(api.call("POST", "/v1/customers/c1/payouts", { amount: 100 }));
  if (payout) params.payoutId = payout;
  await api.call("PUT", "/v1/referrals", { settings: { enabled: true, attributionDays: 30, friend: { campaignId: null, validDays: 30, points: 0 }, referrer: { on: "first_order", holdDays: 0, reward: { points: 100 } } }, landingUrl: null });
  const code = await id(api.call("GET", "/v1/customers/c1/referral"), "code");
  const referral = await api.call("POST", "/v1/referrals", { friendId: "friend-1", code });
  if (typeof referral.body?.referralId === "string") params.referralId = referral.body.referralId;
  expect(Object.keys(params).sort()).toEqual(["campaignId", "cardId", "code", "externalId", "payoutId", "redemptionId", "referralId", "rewardId", "ruleId", "staffId", "transactionId"]);
  const problems: string[] = [];
  let calls = 0;
  const answered = new Map<number, number>();
  for (const [path, ops] of Object.entries(spec.paths as S)) {
    for (const [method, op] of Object.entries(ops as S)) {
      if (!["post", "put", "patch"].includes(method)) continue;
      if (path.startsWith("/v1/programs") || path === "/v1/keys") continue;
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      const url = (path.endsWith("/erase") ? path.replace("{externalId}", "gone") : path).replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k] ?? "none"));
      for (const mode of ["max", "big", "min"] as const) {
        for (let branch = 0; branch < (schema ? 12 : 1); branch++) {
          const body = schema ? gen(schema, mode, branch) : undefined;
          const r = await api.call(method.toUpperCase(), url, body, { "idempotency-key": `x-${calls}` });
          calls++;
          answered.set(r.status, (answered.get(r.status) ?? 0) + 1);
          if (r.status >= 500) problems.push(`${method.toUpperCase()} ${url} (${mode}, ${branch}): ${r.status} ${r.text.slice(0, 200)} <- ${JSON.stringify(body).slice(0, 300)}`);
          const bad = r.status < 300 ? inexact(r.body) : [];
          if (bad.length) problems.push(`${method.toUpperCase()} ${url} (${mode}, ${branch}): inexact ${bad.slice(0, 3).join(", ")} <- ${JSON.stringify(body).slice(0, 300)}`);
        }
      }
    }
  }
  expect([...new Set(problems)]).toEqual([]);
  // The generated bodies reach the endpoints' logic, not only their validation.
  const ok = [...answered].filter(([status]) => status < 300).reduce((n, [, c]) => n + c, 0);
  expect(ok).toBeGreaterThan(calls / 4);
}, 600_000);
