import { sql } from "drizzle-orm";
import { formatLocalDate, localDate, type LocalDate } from "@patron/core";
import type { AppContext } from "../app/context.ts";
import type { Program } from "../app/programs/program.ts";
import { rows } from "../db/connect.ts";
import { ingestEvents } from "../app/events/ingest-events.ts";
import type { EventInput } from "../app/events/event-input.ts";

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export interface BirthdayRun {
  date: string;
  /** Birthday events this run sent (not those an earlier run of the day sent: their ids make them replays). */
  day: number;
  monthStart: number;
}

/**
 * Sends `customer.birthday` events for the program's local date at `at`: `on: "day"` to customers
 * born on this day (29 February birthdays on 28 February in other years), and `on: "month_start"` on
 * the first of the month to customers born in this month. Only the kinds some enabled rule listens to
 * are sent. Event ids are `birthday:{customer}:{year}:{on}`, so running a day twice, or on two servers
 * at once, gives each customer one event; the rules' own limits (once per year) do the rest.
 */
export async function runBirthdays(ctx: AppContext, program: Program, at: Date): Promise<BirthdayRun> {
  const today = localDate(at, program.timeZone);
  const rules = await ctx.rules.active(ctx.db, program);
  const listens = (on: "day" | "month_start") => rules.some((r) => r.def.trigger.event === "customer.birthday" && (r.def.trigger.birthdayOn ?? "day") === on);
  const out: BirthdayRun = { date: formatLocalDate(today), day: 0, monthStart: 0 };
  if (listens("day")) {
    const leapDayToo = today.month === 2 && today.day === 28 && !isLeap(today.year);
    const born = await rows<{ external_id: string }>(
      ctx.db,
      sql`select external_id from customers
           where program_id = ${program.id} and status = 'active' and birthday is not null
             and extract(month from birthday) = ${today.month}
             and (extract(day from birthday) = ${today.day} or (${leapDayToo} and extract(day from birthday) = 29))
           order by external_id`,
    );
    out.day = await send(ctx, program, born.map((b) => b.external_id), today, "day", at);
  }
  if (listens("month_start") && today.day === 1) {
    const born = await rows<{ external_id: string }>(
      ctx.db,
      sql`select external_id from customers where program_id = ${program.id} and status = 'active' and birthday is not null and extract(month from birthday) = ${today.month} order by external_id`,
    );
    out.monthStart = await send(ctx, program, born.map((b) => b.external_id), today, "month_start", at);
  }
  return out;
}

async function send(ctx: AppContext, program: Program, customers: string[], today: LocalDate, on: "day" | "month_start", at: Date): Promise<number> {
  let sent = 0;
  for (let i = 0; i < customers.length; i += 500) {
    const events: EventInput[] = customers.slice(i, i + 500).map((c) => ({ id: `birthday:${c}:${today.year}:${on}`, type: "customer.birthday", customerId: c, occurredAt: at, data: { on } }));
    const results = await ingestEvents(ctx, program, events);
    sent += results.filter((r) => r.status === "accepted" && !r.replayed).length;
  }
  return sent;
}
