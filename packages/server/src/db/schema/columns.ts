import { bigint, timestamp } from "drizzle-orm/pg-core";

/** An instant: timestamptz, read as a Date. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
/** Points and minor units: bigint read as a number (they stay below 2^53, which validation enforces). */
export const money = (name: string) => bigint(name, { mode: "number" });
