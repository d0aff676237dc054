import { and, eq } from "drizzle-orm";
import { compileCondition, failingCondition, type CompiledRule, type RuleDefinition } from "@patron/core";
import type { Executor } from "../../db/connect.ts";
import { rules } from "../../db/schema.ts";
import type { Program } from "../programs/program.ts";
import { SingleFlight } from "../single-flight.ts";

/** Rules are re-read at least this often, so a change made through another server process applies within it. */
const TTL_MS = 5_000;

/** The id of the program's base earning (its `earning` setting), which runs as the first rule. */
export const BASE_RULE_ID = "base";

/**
 * The compiled, enabled rules of each program, in evaluation order, cached in memory: ingest must not
 * parse CEL or query the rules on every event. Writes through this process invalidate at once;
 * other processes see a change within TTL_MS.
 */
export class RuleStore {
  private cache = new Map<string, { at: number; rules: CompiledRule[] }>();
  private loads = new SingleFlight<CompiledRule[]>();

  invalidate(programId: string): void {
    this.cache.delete(programId);
    this.loads.forget();
  }

  async active(ex: Executor, program: Program): Promise<CompiledRule[]> {
    const hit = this.cache.get(program.id);
    const now = performance.now();
    if (hit && now - hit.at < TTL_MS) return withBase(program, hit.rules);
    const compiled = await this.loads.run(ex, program.id, async () => {
      const rows = await ex.select({ id: rules.id, version: rules.version, definition: rules.definition }).from(rules).where(and(eq(rules.programId, program.id), eq(rules.status, "enabled")));
      const list = rows.map((r) => compileRule(r.id, r.version, r.definition as RuleDefinition)).sort(byPriority);
      this.cache.set(program.id, { at: now, rules: list });
      return list;
    });
    return withBase(program, compiled);
  }
}

export function byPriority(a: CompiledRule, b: CompiledRule): number {
  return a.def.priority - b.def.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A saved rule, compiled. Saved conditions were checked when saved, so compiling cannot fail unless the CEL environment changed. */
export function compileRule(id: string, version: number, def: RuleDefinition): CompiledRule {
  if (def.condition === null) return { id, version, def, condition: null };
  const c = compileCondition(def.condition);
  // A condition that no longer compiles never matches (and shows in the dry-run trace as an error).
  return { id, version, def, condition: c.ok ? c.value : failingCondition(def.condition, c.error.message, true) };
}

/** The program's `earning` setting as a rule that runs before every other (priority 0, ties go to it). */
export function baseRule(program: Program): CompiledRule | null {
  const e = program.earning;
  if (!e.enabled) return null;
  return {
    id: BASE_RULE_ID,
    version: 0,
    condition: null,
    def: {
      name: "Base earning",
      trigger: { event: "order.completed" },
      condition: null,
      effect: { kind: "per_amount", asset: "points", points: e.points, per: e.per, rounding: e.rounding, base: "earning_base" },
      schedule: null,
      limits: [],
      budget: null,
      pendingDays: null,
      expiry: null,
      priority: 0,
      stopFurther: false,
    },
  };
}

function withBase(program: Program, compiled: CompiledRule[]): CompiledRule[] {
  const base = baseRule(program);
  if (!base) return compiled;
  const i = compiled.findIndex((r) => r.def.priority >= 0);
  return i === -1 ? [...compiled, base] : [...compiled.slice(0, i), base, ...compiled.slice(i)];
}
