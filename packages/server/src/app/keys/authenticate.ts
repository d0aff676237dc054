import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { apiKeys, programs } from "../../db/schema.ts";
import { sha256 } from "../json.ts";
import type { Program } from "../programs/program.ts";
import { toProgram } from "../programs/program-repo.ts";
import type { Clock } from "../ports.ts";
import type { KeyKind } from "./create-key.ts";
import { SingleFlight } from "../single-flight.ts";

export interface Principal {
  keyId: string;
  kind: KeyKind;
  program: Program;
}

/**
 * Looks keys up by hash, with a short cache so ingest does not pay a query per request.
 * A revocation made through this process takes effect at once (`forget`); one made elsewhere
 * (another server, the CLI) within `ttlMs` (5 s).
 */
export class KeyAuthenticator {
  private cache = new Map<string, { at: number; principal: Principal | null }>();
  private lookups = new SingleFlight<Principal | null>();
  constructor(
    private db: Db,
    private clock: Clock,
    private ttlMs = 5_000,
  ) {}

  async authenticate(token: string): Promise<Principal | null> {
    if (!/^(sk|pk)_[A-Za-z0-9]{16,64}$/.test(token)) return null;
    const hash = sha256(token);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < this.ttlMs) return hit.principal;
    return this.lookups.run(this.db, hash, () => this.lookup(hash, now));
  }

  private async lookup(hash: string, now: number): Promise<Principal | null> {
    const [row] = await this.db
      .select({ key: apiKeys, program: programs })
      .from(apiKeys)
      .innerJoin(programs, eq(programs.id, apiKeys.programId))
      .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
    const principal = row ? { keyId: row.key.id, kind: row.key.kind as KeyKind, program: toProgram(row.program) } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { at: now, principal });
    return principal;
  }

  /** Drop cached entries (after a key is revoked or a program's settings change). */
  forget(): void {
    this.cache.clear();
    this.lookups.forget();
  }
}
