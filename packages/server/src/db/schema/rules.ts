/** Earning rules, their versions, limit and budget counters, and run-time failures. (db/schema.ts has the conventions.) */
import { index, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { ts, money } from "./columns.ts";

/** Earning rules. `definition` is the current version's RuleDefinition (core/rules/types.ts); every version is kept in rule_versions. */
export const rules = pgTable(
  "rules",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull(),
    /** enabled | disabled | archived */
    status: text("status").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("rules_program_idx").on(t.programId, t.status)],
);

/** Every version of every rule, as it was saved. Ledger transactions name a rule and a version from here. */
export const ruleVersions = pgTable(
  "rule_versions",
  {
    ruleId: text("rule_id").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").notNull(),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);

/**
 * Limit and budget counters: awards and points per rule, customer (`*` for the rule's global budget)
 * and period key (core/rules/periods.ts). Locked in key order in the same transaction as the awards.
 */
export const ruleCounters = pgTable(
  "rule_counters",
  {
    programId: text("program_id").notNull(),
    ruleId: text("rule_id").notNull(),
    scope: text("scope").notNull(),
    period: text("period").notNull(),
    awards: integer("awards").notNull(),
    points: money("points").notNull(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.ruleId, t.scope, t.period] })],
);

/** Run-time failures of a rule version's condition or effect: counted, with the last message, for admins. */
export const ruleFailures = pgTable(
  "rule_failures",
  {
    programId: text("program_id").notNull(),
    ruleId: text("rule_id").notNull(),
    version: integer("version").notNull(),
    failures: integer("failures").notNull(),
    lastError: text("last_error").notNull(),
    lastAt: ts("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.version] })],
);
