import type { customers } from "../../db/schema.ts";

export interface Consent {
  email: boolean;
  sms: boolean;
}

export interface CustomerView {
  id: string;
  externalId: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  birthday: string | null;
  locale: string | null;
  timeZone: string | null;
  consent: Consent;
  attributes: Record<string, unknown>;
  tags: string[];
  status: "active" | "blocked" | "erased";
  createdAt: Date;
  updatedAt: Date;
}

/** Fields a store may set on a customer. Absent fields are left as they are; null clears a field. */
export interface CustomerInput {
  email?: string | null | undefined;
  phone?: string | null | undefined;
  name?: string | null | undefined;
  birthday?: string | null | undefined;
  locale?: string | null | undefined;
  timeZone?: string | null | undefined;
  consent?: Partial<Consent> | undefined;
  attributes?: Record<string, unknown> | undefined;
  tags?: string[] | undefined;
  status?: "active" | "blocked" | undefined;
}

export const toCustomerView = (r: typeof customers.$inferSelect): CustomerView => ({
  id: r.id,
  externalId: r.externalId,
  email: r.email,
  phone: r.phone,
  name: r.name,
  birthday: r.birthday,
  locale: r.locale,
  timeZone: r.timeZone,
  consent: r.consent as Consent,
  attributes: r.attributes as Record<string, unknown>,
  tags: r.tags,
  status: r.status as CustomerView["status"],
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});
