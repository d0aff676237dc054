import { scrypt, timingSafeEqual } from "node:crypto";

/**
 * Staff PINs are stored as `scrypt$N$r$p$salt$hash` (base64url salt and hash), so the cost can be
 * raised later without breaking stored PINs. N = 2^14, r = 8, p = 1 are Node's defaults (about 16 MB
 * and tens of milliseconds per check). A 4-digit PIN has 10,000 values: no hash makes a stolen one
 * safe, so the hashes never leave the server, confirmations need the program's secret key, and
 * requests are rate limited; the hash keeps the PINs out of plain sight in the database and its backups.
 */
const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(pin: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(pin, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))));
}

/** The stored form of `pin`, salted with `salt` (16 random bytes from the SecretGenerator). */
export async function hashPin(pin: string, salt: Uint8Array): Promise<string> {
  const s = Buffer.from(salt);
  const key = await derive(pin, s, N, R, P);
  return `scrypt$${N}$${R}$${P}$${s.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `pin` is the one behind `stored`, compared in constant time. A malformed stored value matches nothing. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(pin, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
