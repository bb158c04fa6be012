import { UnknownCurrencyError } from './errors';

/**
 * Active ISO 4217 currencies and their minor-unit exponents (the number of decimals of one major unit),
 * as published by the ISO 4217 maintenance agency. Funds codes (BOV, CHE, ...) are included; precious
 * metals and test codes (XAU, XTS, ...) have no minor unit and are left out.
 */
// prettier-ignore
const EXPONENTS = {
  AED: 2, AFN: 2, ALL: 2, AMD: 2, ANG: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2,
  BAM: 2, BBD: 2, BDT: 2, BGN: 2, BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BOV: 2,
  BRL: 2, BSD: 2, BTN: 2, BWP: 2, BYN: 2, BZD: 2, CAD: 2, CDF: 2, CHE: 2, CHF: 2,
  CHW: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, COU: 2, CRC: 2, CUP: 2, CVE: 2, CZK: 2,
  DJF: 0, DKK: 2, DOP: 2, DZD: 2, EGP: 2, ERN: 2, ETB: 2, EUR: 2, FJD: 2, FKP: 2,
  GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2, HKD: 2, HNL: 2,
  HTG: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0, JMD: 2, JOD: 3,
  JPY: 0, KES: 2, KGS: 2, KHR: 2, KMF: 0, KPW: 2, KRW: 0, KWD: 3, KYD: 2, KZT: 2,
  LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3, MAD: 2, MDL: 2, MGA: 2, MKD: 2,
  MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2, MWK: 2, MXN: 2, MXV: 2, MYR: 2,
  MZN: 2, NAD: 2, NGN: 2, NIO: 2, NOK: 2, NPR: 2, NZD: 2, OMR: 3, PAB: 2, PEN: 2,
  PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0, QAR: 2, RON: 2, RSD: 2, RUB: 2, RWF: 0,
  SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SLL: 2, SOS: 2,
  SRD: 2, SSP: 2, STN: 2, SVC: 2, SYP: 2, SZL: 2, THB: 2, TJS: 2, TMT: 2, TND: 3,
  TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2, UAH: 2, UGX: 0, USD: 2, USN: 2, UYI: 0,
  UYU: 2, UYW: 4, UZS: 2, VED: 2, VES: 2, VND: 0, VUV: 0, WST: 2, XAF: 0, XCD: 2,
  XCG: 2, XOF: 0, XPF: 0, YER: 2, ZAR: 2, ZMW: 2, ZWG: 2, ZWL: 2,
} as const;

export type CurrencyCode = keyof typeof EXPONENTS;

export interface Currency {
  readonly code: CurrencyCode;
  /** Decimals of one major unit: USD 2 (cents), JPY 0, KWD 3 (fils). */
  readonly exponent: number;
}

const CURRENCIES: ReadonlyMap<string, Currency> = new Map(
  (Object.keys(EXPONENTS) as CurrencyCode[]).map((code) => [
    code,
    Object.freeze({ code, exponent: EXPONENTS[code] }),
  ]),
);

/** Every supported currency code, sorted. */
export const CURRENCY_CODES: readonly CurrencyCode[] = Object.freeze(
  (Object.keys(EXPONENTS) as CurrencyCode[]).sort(),
);

export function isCurrencyCode(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && CURRENCIES.has(value);
}

/** Looks a currency up by its exact upper-case code; throws UnknownCurrencyError otherwise. */
export function getCurrency(code: string): Currency {
  const currency = CURRENCIES.get(code);
  if (currency === undefined) throw new UnknownCurrencyError(code);
  return currency;
}

/**
 * Parses a currency code from outside input (a request, a database row, Stripe's lower-case codes):
 * trims and upper-cases it, then checks it against the table.
 */
export function parseCurrencyCode(value: unknown): CurrencyCode {
  if (typeof value !== 'string') throw new UnknownCurrencyError(value);
  const code = value.trim().toUpperCase();
  if (!isCurrencyCode(code)) throw new UnknownCurrencyError(value);
  return code;
}

export function currencyExponent(code: string): number {
  return getCurrency(code).exponent;
}
