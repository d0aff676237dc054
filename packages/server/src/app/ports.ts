import { monotonicFactory } from "ulid";
import { randomBytes } from "node:crypto";
import { codeFromRandom } from "@patron/core";

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
  // ULID's default PRNG asks the OS for one byte per character (16 calls an id, several ids an
  // event); drawing from a pooled buffer of crypto-random bytes keeps ids unguessable and cheap.
  let pool = randomBytes(4096);
  let at = 0;
  const prng = () => {
    if (at >= pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    return pool[at++]! / 256;
  };
  const ulid = monotonicFactory(prng);
  return { next: (prefix) => `${prefix}_${ulid()}` };
}

/** Secrets for API keys: 24 random bytes, base62-ish (url-safe base64 without symbols). */
export interface SecretGenerator {
  secret(): string;
  /** An unguessable reward code (core/rewards/codes.ts). */
  rewardCode(): string;
  /** `n` cryptographically random bytes: bulk promotion codes are drawn from them (core/promotions/codes.ts). */
  randomBytes(n: number): Uint8Array;
}
export const randomSecrets: SecretGenerator = {
  secret: () => randomBytes(24).toString("base64url").replace(/[-_]/g, "x"),
  rewardCode: () => codeFromRandom(randomBytes(16)),
  randomBytes: (n) => randomBytes(n),
};

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
