/**
 * Every error code Patron can return. Codes are stable forever: clients branch on them.
 * The HTTP layer maps each to a status in exactly one table (server/src/http/error-status.ts),
 * written with `satisfies Record<ErrorCode, number>` so a code added here without a status fails to compile.
 */
export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "INVALID_JSON",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "RATE_LIMITED",
  "IDEMPOTENCY_CONFLICT",
  "PROGRAM_NOT_FOUND",
  "CUSTOMER_NOT_FOUND",
  "KEY_NOT_FOUND",
  "TRANSACTION_NOT_FOUND",
  "INSUFFICIENT_POINTS",
  "ALREADY_REVERSED",
  "REVERSAL_NOT_ALLOWED",
  "ORDER_NOT_FOUND",
  "ORDER_CONFLICT",
  "ORDER_TOTALS_MISMATCH",
  "CURRENCY_MISMATCH",
  "UNKNOWN_CURRENCY",
  "REFUND_EXCEEDS_ORDER",
  "REFUND_LINE_UNKNOWN",
  "REFUND_CONFLICT",
  "INVALID_PHONE",
  "INVALID_TIME_ZONE",
  "INVALID_LOCALE",
  "INVALID_CURSOR",
  "RULE_INVALID",
  "RULE_NOT_FOUND",
  "RULE_ARCHIVED",
  "REWARD_INVALID",
  "REWARD_NOT_FOUND",
  "REWARD_NOT_AVAILABLE",
  "REWARD_OUT_OF_STOCK",
  "REWARD_LIMIT_REACHED",
  "REDEMPTION_NOT_FOUND",
  "REDEMPTION_NOT_CANCELLABLE",
  "POINTS_AMOUNT_INVALID",
  "CAMPAIGN_INVALID",
  "CAMPAIGN_NOT_FOUND",
  "CAMPAIGN_ARCHIVED",
  "CODE_TAKEN",
  "CART_TOTAL_CHANGED",
  // Tiers and progressive discounts (issue 6)
  "TIERS_INVALID",
  "TIERS_NOT_CONFIGURED",
  "TIER_NOT_FOUND",
  // Stamp cards and staff (issue 6)
  "STAMP_CARD_INVALID",
  "STAMP_CARD_NOT_FOUND",
  "STAFF_NOT_FOUND",
  "STAFF_NOT_ACTIVE",
  "STAFF_PIN_INVALID",
  "STAFF_KEY_INVALID",
  "STAFF_PIN_TAKEN",
  "STAMP_CARD_DISABLED",
  // Wallets and gift cards (issue 6)
  "INSUFFICIENT_FUNDS",
  "PAYOUT_INVALID",
  "PAYOUT_NOT_FOUND",
  "PAYOUT_STATE_CONFLICT",
  "GIFT_CARD_NOT_FOUND",
  "GIFT_CARD_NOT_USABLE",
  // Referrals (issue 7)
  "REFERRALS_INVALID",
  "REFERRALS_NOT_CONFIGURED",
  "REFERRAL_CODE_UNKNOWN",
  "ALREADY_REFERRED",
  "REFERRAL_NOT_FOUND",
  "REFERRAL_NOT_HELD",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A typed, expected failure: a stable code, a message that says what to fix, and structured details. */
export interface DomainError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export const domainError = (code: ErrorCode, message: string, details?: Record<string, unknown>): DomainError =>
  details === undefined ? { code, message } : { code, message, details };
