/** Customers: a program's members, by the store's own id. (db/schema.ts has the conventions.) */
import { date, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { ts } from "./columns.ts";
import { programs } from "./programs.ts";

export const customers = pgTable(
  "customers",
  {
    id: text("id").primaryKey(),
    programId: text("program_id").notNull().references(() => programs.id),
    /** The store's own id; null once erased. */
    externalId: text("external_id"),
    email: text("email"),
    phone: text("phone"),
    name: text("name"),
    birthday: date("birthday", { mode: "string" }),
    locale: text("locale"),
    timeZone: text("time_zone"),
    consent: jsonb("consent").notNull(),
    attributes: jsonb("attributes").notNull(),
    tags: text("tags").array().notNull(),
    status: text("status").notNull(), // active | blocked | erased
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    erasedAt: ts("erased_at"),
  },
  (t) => [
    uniqueIndex("customers_external_uq").on(t.programId, t.externalId),
    index("customers_email_idx").on(t.programId, t.email),
    index("customers_phone_idx").on(t.programId, t.phone),
    index("customers_program_id_idx").on(t.programId, t.id),
  ],
);
