import type { BasicEarning, CurrencyCode, LedgerPolicy, MarginGuard, PointValue, ReferralSettings, TierScheme, WalletPolicyInput } from "@patron/core";

export interface PayWithPoints {
  points: number;
  money: number;
  minPoints: number;
  maxPoints: number;
  step: number;
  /** Days the issued code stays valid. */
  validDays: number;
}

/** A program (tenant) as use cases see it. */
export interface Program {
  id: string;
  name: string;
  pointsSingular: string;
  pointsPlural: string;
  currency: CurrencyCode;
  timeZone: string;
  defaultLocale: string;
  supportedLocales: string[];
  defaultCountry: string | null;
  earning: BasicEarning;
  ledgerPolicy: LedgerPolicy;
  /** What points are worth in money; null until set. */
  pointValue: PointValue | null;
  /** Points as money off an order: `points` points are `money` off, in steps, between a minimum and a maximum per order. */
  payWithPoints: PayWithPoints | null;
  /** What all promotions on one cart may take off together, and how low a line may go; null: no guard. */
  marginGuard: MarginGuard | null;
  /** VIP levels (core/tiers), or null: no tiers. Set through PUT /v1/tiers. */
  tiers: TierScheme | null;
  /** The referral programme (core/referrals), or null: none. Set through PUT /v1/referrals. */
  referrals: ReferralSettings | null;
  /** Where referral links send visitors (the store's signup page), or null. */
  referralLandingUrl: string | null;
  /** Wallet settings as stored (payout limits and hold, the bonus share at checkout); null: the defaults. Read through core `walletPolicy()`. */
  wallet: WalletPolicyInput | null;
  createdAt: Date;
  updatedAt: Date;
}

export const DEFAULT_EARNING: BasicEarning = { enabled: true, points: 1, per: 100, rounding: "floor" };
export const DEFAULT_LEDGER_POLICY: LedgerPolicy = { pendingDays: 0, expiry: { kind: "never" }, clawback: "allow_negative" };

export const LOCALES = ["en", "vi", "ro", "zh-CN", "uk", "ru", "de", "fr", "es", "it", "pl", "pt", "ja", "ko"] as const;
