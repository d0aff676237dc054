import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/min";

/** Email for matching: trimmed and lower-cased (the whole address, as most stores treat it). */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/**
 * Phone in E.164 (+84901234567). A number without a country code is read in `defaultCountry`;
 * returns null when it is not a possible phone number.
 */
export function normalizePhone(phone: string, defaultCountry?: string): string | null {
  const parsed = parsePhoneNumberFromString(phone.trim(), defaultCountry as CountryCode | undefined);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}
