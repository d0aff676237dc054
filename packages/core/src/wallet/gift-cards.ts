import { domainError, type DomainError } from "../errors.ts";
import { normalizePromoCode } from "../promotions/codes.ts";

/**
 * Gift cards: a code and a money balance, held in the ledger as asset `gift_card` on the card's own
 * accounts (the card id is the holder). Whoever has the code may spend it: a card is a bearer
 * instrument, the customer it was given to is only a note (their wallet lists it).
 */

export const GIFT_CARD_STATUSES = ["active", "disabled"] as const;
export type GiftCardStatus = (typeof GIFT_CARD_STATUSES)[number];

/**
 * The fewest characters a gift card code has in normal form. A card is money, so its code must not
 * be guessable: generated codes have 12 random characters of a 29-letter alphabet (about 2^58); a
 * code the merchant brings (printed cards) needs at least 8 characters.
 */
export const GIFT_CARD_CODE_MIN = 8;

/**
 * The code as stored: upper case, without spaces and hyphens, 8 to 64 letters and digits; null when
 * the input cannot be a gift card code.
 *
 * @example normalizeGiftCardCode("ab12-cd34-ef56") // "AB12CD34EF56"
 */
export function normalizeGiftCardCode(typed: string): string | null {
  const code = normalizePromoCode(typed);
  return code !== null && code.length >= GIFT_CARD_CODE_MIN ? code : null;
}

/** What a card shows: its stored status, or `expired` once its expiry has passed. */
export function giftCardState(card: { status: GiftCardStatus; expiresAt: Date | null }, now: Date): GiftCardStatus | "expired" {
  if (card.status !== "active") return card.status;
  return card.expiresAt !== null && card.expiresAt.getTime() <= now.getTime() ? "expired" : "active";
}

/**
 * Why a card cannot pay now, or null when it can (its balance is the ledger's business).
 *
 * Errors: GIFT_CARD_NOT_USABLE (disabled, expired).
 */
export function giftCardRefusal(card: { code: string; status: GiftCardStatus; expiresAt: Date | null }, now: Date): DomainError | null {
  const state = giftCardState(card, now);
  if (state === "disabled") return domainError("GIFT_CARD_NOT_USABLE", "This gift card is disabled.", { code: card.code, reason: "disabled" });
  if (state === "expired") return domainError("GIFT_CARD_NOT_USABLE", `This gift card expired at ${card.expiresAt!.toISOString()}.`, { code: card.code, reason: "expired", expiresAt: card.expiresAt!.toISOString() });
  return null;
}
