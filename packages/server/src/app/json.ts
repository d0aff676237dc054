import { createHash } from "node:crypto";
import { sortSmall } from "@patron/core";

/**
 * JSON with object keys sorted, so the same body always hashes the same. The hashes are stored (an
 * event's or request's idempotency), so the output must not change: json.test.ts holds it to the
 * first, plainer version, but for dates. A Date is its ISO string (JSON's own form); the first version
 * wrote every Date as `{}`, so an event sent again with another `occurredAt` was answered as a replay
 * instead of IDEMPOTENCY_CONFLICT. This one is written with loops, and sorts an object's few keys in
 * place (sortSmall): it runs on every event of a batch, where the built-in sort's working copies were
 * 7% of all the bytes a batch allocated (bench/alloc-profile.mjs).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object" || value instanceof Date) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = sortSmall(Object.keys(obj), byCodeUnits);
  let out = "{";
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/** The built-in sort's order for strings (UTF-16 code units). */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export const requestHash = (value: unknown) => sha256(canonicalJson(value));
