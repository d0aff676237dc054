import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { apiKeys } from "../../db/schema.ts";
import { sha256 } from "../json.ts";

export type KeyKind = "secret" | "publishable";

export interface KeyView {
  id: string;
  kind: KeyKind;
  name: string;
  hint: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A new key: `secret` is the whole key, shown this once; only its hash is stored. */
export interface CreatedKey extends KeyView {
  secret: string;
}

export const keyPrefix = (kind: KeyKind) => (kind === "secret" ? "sk_" : "pk_");

/** Creates an API key for a program. */
export async function createKey(ctx: AppContext, ex: Executor, programId: string, input: { kind: KeyKind; name: string }): Promise<CreatedKey> {
  const secret = `${keyPrefix(input.kind)}${ctx.secrets.secret()}`;
  const row = {
    id: ctx.ids.next("key"),
    programId,
    kind: input.kind,
    name: input.name,
    hash: sha256(secret),
    hint: `${secret.slice(0, 7)}…`,
    createdAt: ctx.clock.now(),
    revokedAt: null,
  };
  await ex.insert(apiKeys).values(row);
  return { id: row.id, kind: row.kind, name: row.name, hint: row.hint, createdAt: row.createdAt, revokedAt: null, secret };
}
