import { eq } from "drizzle-orm";
import { compileCondition, failingCondition, type CompiledStampCard, type StampCardDefinition } from "@patron/core";
import type { Executor } from "../../db/connect.ts";
import { stampCards } from "../../db/schema.ts";
import type { StampCardStatus } from "./stamp-card.ts";

/** Cards are re-read at least this often, so a change made through another server process applies within it (as rules do). */
const TTL_MS = 5_000;

/** A program's stamp cards: the enabled ones compiled, and the ids of all (a refund may meet stamps of a card disabled since). */
export interface ProgramStampCards {
  enabled: CompiledStampCard[];
  all: Map<string, { def: StampCardDefinition; status: StampCardStatus }>;
}

/**
 * The stamp cards of each program, compiled and cached in memory: ingest must not query the cards or
 * parse CEL on every batch, and a program without stamp cards must not pay for them at all. Writes
 * through this process invalidate at once; other processes see a change within TTL_MS.
 */
export class StampCardStore {
  private cache = new Map<string, { at: number; cards: ProgramStampCards }>();

  invalidate(programId: string): void {
    this.cache.delete(programId);
  }

  async cards(ex: Executor, programId: string): Promise<ProgramStampCards> {
    const hit = this.cache.get(programId);
    const now = performance.now();
    if (hit && now - hit.at < TTL_MS) return hit.cards;
    const rs = await ex.select({ id: stampCards.id, status: stampCards.status, definition: stampCards.definition }).from(stampCards).where(eq(stampCards.programId, programId));
    const all = new Map<string, { def: StampCardDefinition; status: StampCardStatus }>();
    const enabled: CompiledStampCard[] = [];
    for (const r of rs.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const def = r.definition as StampCardDefinition;
      const had = hit?.cards.enabled.find((c) => c.id === r.id);
      all.set(r.id, { def, status: r.status as StampCardStatus });
      if (r.status === "enabled") enabled.push(had && JSON.stringify(had.def) === JSON.stringify(def) ? had : compileStampCard(r.id, def));
    }
    const cards = { enabled, all };
    this.cache.set(programId, { at: now, cards });
    return cards;
  }
}

/** A saved card, compiled. Saved conditions were checked when saved; one that no longer compiles qualifies no line. */
export function compileStampCard(id: string, def: StampCardDefinition): CompiledStampCard {
  if (def.qualifying === null) return { id, def, condition: null };
  const c = compileCondition(def.qualifying);
  return {
    id,
    def,
    condition: c.ok ? c.value : failingCondition(def.qualifying, c.error.message, false),
  };
}
