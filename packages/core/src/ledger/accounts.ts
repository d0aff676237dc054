/**
 * Ledger accounts are addresses (like Formance's). The asset is a column on each posting, not part
 * of the address, so stamps and wallet money reuse the same accounts.
 *
 * - `world`: where issued value comes from and where debited value goes back to (adjustments, clawbacks);
 *   it is the only account that is normally negative.
 * - `expired`: value removed by expiry.
 * - `customer:{id}:available` and `customer:{id}:pending`: a customer's spendable and held value.
 */
export const WORLD = "world";
export const EXPIRED = "expired";
export const REDEEMED = "redeemed";

export const available = (customerId: string) => `customer:${customerId}:available`;
export const pending = (customerId: string) => `customer:${customerId}:pending`;

export const isCustomerAccount = (account: string) => account.startsWith("customer:");

export const ASSETS = ["points"] as const;
export type Asset = (typeof ASSETS)[number];
