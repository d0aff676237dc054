/**
 * ISO 4217 currencies with their real number of minor units. Amounts everywhere are integers in
 * minor units of the currency (VND has none, USD two, KWD three), so this table is the only place
 * where decimals exist.
 */
export const CURRENCIES = {
  AED: 2, AUD: 2, BGN: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, CZK: 2, DKK: 2, EUR: 2,
  GBP: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, ISK: 0, JOD: 3, JPY: 0, KRW: 0, KWD: 3, KZT: 2,
  MDL: 2, MXN: 2, MYR: 2, NOK: 2, NZD: 2, OMR: 3, PHP: 2, PLN: 2, RON: 2, RSD: 2, RUB: 2, SAR: 2,
  SEK: 2, SGD: 2, THB: 2, TND: 3, TRY: 2, TWD: 2, UAH: 2, USD: 2, UZS: 2, VND: 0, ZAR: 2,
} as const satisfies Record<string, number>;

export type CurrencyCode = keyof typeof CURRENCIES;

export const isCurrency = (code: string): code is CurrencyCode => Object.hasOwn(CURRENCIES, code);

export const minorUnits = (code: CurrencyCode): number => CURRENCIES[code];
