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

/**
 * What the ledger counts, each an integer:
 * - `points`: the program's points;
 * - `bonus`: wallet money that can only be spent here (cashback), in minor units;
 * - `cash`: wallet money the customer may withdraw (payout requests), in minor units;
 * - `gift_card`: a gift card's money, held on the card's own accounts (the "customer" is the card);
 * - `stamps:{cardId}`: stamps of one stamp card.
 * Bonus and cash are separate assets, so no posting can ever mix them.
 */
export const FIXED_ASSETS = ["points", "bonus", "cash", "gift_card"] as const;
export type FixedAsset = (typeof FIXED_ASSETS)[number];
export type Asset = FixedAsset | `stamps:${string}`;
/** The assets an earning rule may give (stamps come from stamp cards, gift cards are sold or given). */
export const ASSETS = ["points", "bonus", "cash"] as const;
export type RuleAsset = (typeof ASSETS)[number];
export const stampsAsset = (cardId: string): Asset => `stamps:${cardId}`;
export const isMoneyAsset = (asset: Asset) => asset === "bonus" || asset === "cash" || asset === "gift_card";
