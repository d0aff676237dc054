import { domainError, type DomainError } from "../errors.ts";
import { pendingUntil } from "../earning/policy.ts";

/**
 * A program's wallet settings (`programs.wallet`). Two balances, kept apart as two ledger assets:
 * `bonus` (cashback: spent only here, never paid out) and `cash` (the customer's own money with the
 * program: spendable here and withdrawable through payout requests).
 */
export interface PayoutPolicy {
  /** Whether customers may ask for their cash balance to be paid out. */
  enabled: boolean;
  /** The smallest payout, in minor units (at least 1). */
  minAmount: number;
  /** The largest single payout, in minor units; null: no maximum. */
  maxAmount: number | null;
  /**
   * Days every cash credit stays pending (a ledger pending lot) before it can be withdrawn or spent:
   * time for the purchase or referral that earned it to clear its return window.
   */
  holdDays: number;
}

export interface WalletCheckoutPolicy {
  /** The most of an order's total (after discounts) the bonus balance may pay, in whole percent: 100 = all of it. */
  bonusMaxPercent: number;
}

export interface WalletPolicy {
  payouts: PayoutPolicy;
  checkout: WalletCheckoutPolicy;
}

/** What a program may store: any field left out takes its default. */
export interface WalletPolicyInput {
  payouts?: Partial<PayoutPolicy> | undefined;
  checkout?: Partial<WalletCheckoutPolicy> | undefined;
}

/** Payouts on, from 1 minor unit, no maximum, no hold; bonus may pay a whole order. */
export const DEFAULT_WALLET_POLICY: WalletPolicy = {
  payouts: { enabled: true, minAmount: 1, maxAmount: null, holdDays: 0 },
  checkout: { bonusMaxPercent: 100 },
};

const MAX_AMOUNT = 1_000_000_000_000;

/**
 * The policy in force: the stored one with defaults for what it leaves out (null: every default).
 *
 * @example walletPolicy({ payouts: { minAmount: 5000 } }).payouts // { enabled: true, minAmount: 5000, maxAmount: null, holdDays: 0 }
 */
export function walletPolicy(stored: WalletPolicyInput | null | undefined): WalletPolicy {
  const strip = <T extends object>(o: T | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    payouts: { ...DEFAULT_WALLET_POLICY.payouts, ...strip(stored?.payouts) },
    checkout: { ...DEFAULT_WALLET_POLICY.checkout, ...strip(stored?.checkout) },
  };
}

/**
 * Why a wallet policy cannot be used, or null when it can: integer amounts from 1, a minimum not
 * above the maximum, a hold of 0 to 365 days, a bonus share of 0 to 100 percent.
 */
export function checkWalletPolicy(input: WalletPolicyInput): string | null {
  const p = walletPolicy(input);
  const int = (v: number, min: number, max: number) => Number.isSafeInteger(v) && v >= min && v <= max;
  if (!int(p.payouts.minAmount, 1, MAX_AMOUNT)) return "payouts.minAmount is a whole number of minor units, at least 1.";
  if (p.payouts.maxAmount !== null && !int(p.payouts.maxAmount, 1, MAX_AMOUNT)) return "payouts.maxAmount is a whole number of minor units, at least 1, or null.";
  if (p.payouts.maxAmount !== null && p.payouts.minAmount > p.payouts.maxAmount) return "payouts.minAmount must not be above payouts.maxAmount.";
  if (!int(p.payouts.holdDays, 0, 365)) return "payouts.holdDays is a whole number of days from 0 to 365.";
  if (!int(p.checkout.bonusMaxPercent, 0, 100)) return "checkout.bonusMaxPercent is a whole percentage from 0 to 100.";
  return null;
}

/**
 * Whether `amount` may be asked for as one payout under the policy (the balance is checked by the
 * ledger, under its lock).
 *
 * Errors: PAYOUT_INVALID (payouts off, not a positive integer, under the minimum, over the maximum).
 */
export function checkPayoutAmount(policy: WalletPolicy, amount: number): DomainError | null {
  const { minAmount, maxAmount, enabled } = policy.payouts;
  const details = { amount, minAmount, maxAmount };
  if (!enabled) return domainError("PAYOUT_INVALID", "This program does not pay out cash balances (wallet.payouts.enabled is false).", details);
  if (!Number.isSafeInteger(amount) || amount <= 0) return domainError("PAYOUT_INVALID", "A payout is a positive whole number of minor units.", details);
  if (amount < minAmount) return domainError("PAYOUT_INVALID", `A payout is at least ${minAmount}; ${amount} was asked for.`, details);
  if (maxAmount !== null && amount > maxAmount) return domainError("PAYOUT_INVALID", `A payout is at most ${maxAmount}; ${amount} was asked for.`, details);
  return null;
}

/**
 * Until when a cash credit made at `at` is held (pending): the longer of the hold and the pending
 * days the credit has anyway (a rule's or the program's return window). Null: available at once.
 */
export function cashPendingUntil(policy: WalletPolicy, at: Date, otherPendingDays = 0): Date | null {
  return pendingUntil(Math.max(policy.payouts.holdDays, otherPendingDays), at);
}
