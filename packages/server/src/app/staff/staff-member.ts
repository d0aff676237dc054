import type { staffMembers } from "../../db/schema.ts";

export type StaffStatus = "active" | "disabled";

/** A staff member as the API shows them: never the PIN nor its hash. */
export interface StaffMember {
  id: string;
  name: string;
  store: string | null;
  status: StaffStatus;
  /** Whether a badge key was issued (the key itself is shown once). */
  hasKey: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toStaffMember(r: typeof staffMembers.$inferSelect): StaffMember {
  return { id: r.id, name: r.name, store: r.store, status: r.status as StaffStatus, hasKey: r.keyHash !== null, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}
