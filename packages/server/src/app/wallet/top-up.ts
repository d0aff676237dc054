import { domainError, type DomainError } from "@patron/core";
import type { Program } from "../programs/program.ts";
import type { WalletToppedUpData } from "../events/event-input.ts";

/**
 * A `wallet.topped_up` event is checked before anything is written: its amount is in the program's
 * currency. The top-up credits no balance by itself (the money is the store's, kept in the store's
 * own system); rules that listen to it give cashback (story 5).
 *
 * Errors: CURRENCY_MISMATCH.
 */
export function checkTopUp(program: Program, data: WalletToppedUpData): DomainError | null {
  if (data.currency !== program.currency) {
    return domainError("CURRENCY_MISMATCH", `This program's currency is ${program.currency}; the top-up is in ${data.currency}.`, { expected: program.currency, got: data.currency });
  }
  return null;
}
