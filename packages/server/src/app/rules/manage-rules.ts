import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { err, ok, domainError, type DomainError, type Result, type RuleDefinition } from "@patron/core";
import type { AppContext } from "../context.ts";
import type { Executor } from "../../db/connect.ts";
import { ruleFailures, ruleVersions, rules } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { recordAudit } from "../audit.ts";
import { checkRule } from "./check-rule.ts";

export type RuleStatus = "enabled" | "disabled" | "archived";

export interface Rule {
  id: string;
  status: RuleStatus;
  version: number;
  definition: RuleDefinition;
  failures: { version: number; count: number; lastError: string; lastAt: string }[];
  createdAt: string;
  updatedAt: string;
}

const notFound = (id: string) => domainError("RULE_NOT_FOUND", `No rule "${id}" in this program.`, { id });

/** Errors: RULE_INVALID. A new rule is enabled unless `status` says otherwise. */
export async function createRule(ctx: AppContext, tx: Executor, program: Program, def: RuleDefinition, status: "enabled" | "disabled", actor: string): Promise<Result<Rule, DomainError>> {
  const bad = checkRule(program, def);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const id = ctx.ids.next("rul");
  await tx.insert(rules).values({ id, programId: program.id, status, version: 1, definition: def, createdAt: now, updatedAt: now });
  await tx.insert(ruleVersions).values({ ruleId: id, version: 1, definition: def, createdAt: now });
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "rule.created", target: id, reason: null, data: { version: 1, status } });
  ctx.rules.invalidate(program.id);
  return ok((await getRule(tx, program.id, id))!);
}

/** A change is a new version: the old one stays, and transactions keep naming the version that produced them. Errors: RULE_NOT_FOUND, RULE_ARCHIVED, RULE_INVALID. */
export async function updateRule(ctx: AppContext, tx: Executor, program: Program, id: string, patch: Partial<RuleDefinition>, actor: string): Promise<Result<Rule, DomainError>> {
  const [row] = await tx.select().from(rules).where(and(eq(rules.programId, program.id), eq(rules.id, id))).for("update");
  if (!row) return err(notFound(id));
  if (row.status === "archived") return err(domainError("RULE_ARCHIVED", `Rule "${id}" is archived; archived rules do not change. Create a new rule instead.`, { id }));
  const def = { ...(row.definition as RuleDefinition), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as RuleDefinition;
  const bad = checkRule(program, def);
  if (bad) return err(bad);
  const now = ctx.clock.now();
  const version = row.version + 1;
  await tx.update(rules).set({ version, definition: def, updatedAt: now }).where(eq(rules.id, id));
  await tx.insert(ruleVersions).values({ ruleId: id, version, definition: def, createdAt: now });
  await recordAudit(ctx, tx, { programId: program.id, actor, action: "rule.updated", target: id, reason: null, data: { version, changed: Object.keys(patch) } });
  ctx.rules.invalidate(program.id);
  return ok((await getRule(tx, program.id, id))!);
}

/** Enable, disable or archive. Archiving is final. Errors: RULE_NOT_FOUND, RULE_ARCHIVED. */
export async function setRuleStatus(ctx: AppContext, tx: Executor, program: Program, id: string, status: RuleStatus, actor: string): Promise<Result<Rule, DomainError>> {
  const [row] = await tx.select().from(rules).where(and(eq(rules.programId, program.id), eq(rules.id, id))).for("update");
  if (!row) return err(notFound(id));
  if (row.status === "archived" && status !== "archived") return err(domainError("RULE_ARCHIVED", `Rule "${id}" is archived and cannot be ${status}.`, { id }));
  if (row.status !== status) {
    await tx.update(rules).set({ status, updatedAt: ctx.clock.now() }).where(eq(rules.id, id));
    await recordAudit(ctx, tx, { programId: program.id, actor, action: `rule.${status}`, target: id, reason: null, data: { version: row.version } });
    ctx.rules.invalidate(program.id);
  }
  return ok((await getRule(tx, program.id, id))!);
}

export async function getRule(ex: Executor, programId: string, id: string): Promise<Rule | null> {
  const list = await listRules(ex, programId, { ids: [id] });
  return list[0] ?? null;
}

export async function listRules(ex: Executor, programId: string, opts: { status?: RuleStatus | undefined; ids?: string[] } = {}): Promise<Rule[]> {
  const where = [eq(rules.programId, programId)];
  if (opts.status) where.push(eq(rules.status, opts.status));
  if (opts.ids) where.push(inArray(rules.id, opts.ids));
  const rows = await ex.select().from(rules).where(and(...where)).orderBy(asc(rules.createdAt), asc(rules.id));
  const fails = rows.length
    ? await ex.select().from(ruleFailures).where(and(eq(ruleFailures.programId, programId), inArray(ruleFailures.ruleId, rows.map((r) => r.id)))).orderBy(desc(ruleFailures.version))
    : [];
  return rows.map((r) => ({
    id: r.id,
    status: r.status as RuleStatus,
    version: r.version,
    definition: r.definition as RuleDefinition,
    failures: fails.filter((f) => f.ruleId === r.id).map((f) => ({ version: f.version, count: f.failures, lastError: f.lastError, lastAt: f.lastAt.toISOString() })),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function ruleVersionsOf(ex: Executor, programId: string, id: string) {
  const rule = await getRule(ex, programId, id);
  if (!rule) return null;
  const rows = await ex.select().from(ruleVersions).where(eq(ruleVersions.ruleId, id)).orderBy(asc(ruleVersions.version));
  return rows.map((r) => ({ version: r.version, definition: r.definition as RuleDefinition, createdAt: r.createdAt.toISOString() }));
}
