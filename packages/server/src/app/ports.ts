import { monotonicFactory } from "ulid";
import { randomBytes } from "node:crypto";

/** The clock is injected everywhere (house style §5): tests pass a fake one. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Prefixed, sortable ids (`cus_01J…`): ULIDs, monotonic within a millisecond. */
export interface IdGenerator {
  next(prefix: string): string;
}
export function ulidIds(): IdGenerator {
  const ulid = monotonicFactory();
  return { next: (prefix) => `${prefix}_${ulid()}` };
}

/** Secrets for API keys: 24 random bytes, base62-ish (url-safe base64 without symbols). */
export interface SecretGenerator {
  secret(): string;
}
export const randomSecrets: SecretGenerator = {
  secret: () => randomBytes(24).toString("base64url").replace(/[-_]/g, "x"),
};

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
