import type { ReferralFlag, ReferralIdentity } from "./types.ts";

/**
 * Email for referral matching: besides case, the local part's `+tag` is dropped, and for Gmail the
 * dots, since anna.b+1@gmail.com and annab@gmail.com are one mailbox.
 */
export function referralEmail(email: string): string {
  const [local = "", domain = ""] = email.trim().toLowerCase().split("@");
  const bare = local.split("+")[0]!;
  const gmail = domain === "gmail.com" || domain === "googlemail.com";
  return `${gmail ? bare.replace(/\./g, "") : bare}@${gmail ? "gmail.com" : domain}`;
}

/** Address for matching: letters and digits only, lower case, so "12 Lý Thường Kiệt, Q.10" matches "12 ly thuong kiet q10". */
export function referralAddress(address: string): string {
  return address.normalize("NFD").replace(/\p{Diacritic}/gu, "").replace(/đ/gi, "d").toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The self-referral checks between a referrer and a friend, in a fixed order. Every one of them is
 * proof enough that the friend is the referrer (or a second account of theirs): such a referral earns
 * nothing. An empty list: no sign of self-referral.
 */
export function selfReferralFlags(referrer: ReferralIdentity, friend: ReferralIdentity): ReferralFlag[] {
  const flags: ReferralFlag[] = [];
  const same = (a: string | null, b: string | null, norm: (s: string) => string = (s) => s.trim().toLowerCase()) => a !== null && b !== null && a.trim() !== "" && norm(a) === norm(b);
  if (referrer.customerId === friend.customerId) flags.push("SELF_REFERRAL");
  if (same(referrer.email, friend.email, referralEmail)) flags.push("SAME_EMAIL");
  if (same(referrer.phone, friend.phone, (s) => s.replace(/[^\d+]/g, ""))) flags.push("SAME_PHONE");
  if (same(referrer.address, friend.address, referralAddress)) flags.push("SAME_ADDRESS");
  if (same(referrer.device, friend.device)) flags.push("SAME_DEVICE");
  if (same(referrer.ip, friend.ip)) flags.push("SAME_IP");
  return flags;
}
