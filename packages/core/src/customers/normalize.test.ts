import { describe, expect, it } from "vitest";
import { normalizeEmail, normalizePhone } from "./normalize.ts";

describe("normalizeEmail", () => {
  it.each([
    { email: "alice@example.com", expected: "alice@example.com" },
    { email: "  Alice@Example.COM \n", expected: "alice@example.com" },
    { email: "NGUYEN.Van.A+loyalty@Gmail.com", expected: "nguyen.van.a+loyalty@gmail.com" },
  ])("matches $email as $expected", ({ email, expected }) => {
    expect(normalizeEmail(email)).toBe(expected);
  });
});

describe("normalizePhone", () => {
  it.each([
    { name: "a Vietnamese mobile in national format with VN as default", phone: "0901234567", country: "VN", expected: "+84901234567" },
    { name: "a Vietnamese mobile with spaces and dots", phone: " 090.123.4567 ", country: "VN", expected: "+84901234567" },
    { name: "a Vietnamese mobile in international format without a default", phone: "+84 90 123 4567", country: undefined, expected: "+84901234567" },
    { name: "a Vietnamese landline (Ho Chi Minh City)", phone: "028 3822 1234", country: "VN", expected: "+842838221234" },
    { name: "an international number whatever the default country", phone: "+84901234567", country: "US", expected: "+84901234567" },
    { name: "a US number in national format with US as default", phone: "(415) 555-2671", country: "US", expected: "+14155552671" },
    { name: "a US number in international format without a default", phone: "+1 415-555-2671", country: undefined, expected: "+14155552671" },
    { name: "a US number with a leading 1 and US as default", phone: "1 415 555 2671", country: "US", expected: "+14155552671" },
  ])("normalizes $name", ({ phone, country, expected }) => {
    expect(normalizePhone(phone, country)).toBe(expected);
  });

  it.each([
    { name: "a national number without a default country", phone: "0901234567", country: undefined },
    { name: "a US national number without a default country", phone: "415-555-2671", country: undefined },
    { name: "letters", phone: "abc", country: "VN" },
    { name: "an empty string", phone: "", country: "US" },
    { name: "blanks", phone: "   ", country: "VN" },
    { name: "too few digits", phone: "123", country: "US" },
    { name: "too many digits", phone: "+1 415 555 2671 9999", country: undefined },
    { name: "an unknown default country", phone: "0901234567", country: "XX" },
  ])("returns null for $name", ({ phone, country }) => {
    expect(normalizePhone(phone, country)).toBeNull();
  });
});
