// Business VAT ids: the format of each EU member state's and the UK's, checked before an id is
// stored. A format check is not a registration check (VIES / HMRC): docs/finance.md "Tax model".

/** EU member states (ISO 3166-1 alpha-2). */
export const EU_MEMBER_STATES: readonly string[] = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
];

/** The number after the prefix, per country (patterns as the European Commission's VIES publishes them). */
const VAT_NUMBER_FORMATS: Readonly<Record<string, RegExp>> = {
  AT: /^U\d{8}$/,
  BE: /^[01]\d{9}$/,
  BG: /^\d{9,10}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DE: /^\d{9}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  ES: /^[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^\d{8}$/,
  FR: /^[A-HJ-NP-Z0-9]{2}\d{9}$/,
  GR: /^\d{9}$/,
  HR: /^\d{11}$/,
  HU: /^\d{8}$/,
  IE: /^(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^\d{11}$/,
  LT: /^(\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  LV: /^\d{11}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/,
  PT: /^\d{9}$/,
  RO: /^\d{2,10}$/,
  SE: /^\d{12}$/,
  SI: /^\d{8}$/,
  SK: /^\d{10}$/,
  GB: /^(\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})$/,
};

/** The VAT prefix of a country: Greece uses EL, every other its ISO code. */
export function vatPrefixOf(country: string): string {
  return country === 'GR' ? 'EL' : country;
}

/** Countries whose business VAT ids we check and store (EU member states and the UK). */
export function hasVatIds(country: string): boolean {
  return VAT_NUMBER_FORMATS[country] !== undefined;
}

export type VatIdCheck = { valid: true; vatId: string } | { valid: false; reason: string };

/**
 * Normalizes (upper case; spaces, dots and hyphens dropped; the country prefix added when missing)
 * and checks a VAT id against its country's format. "de 123 456 789" for DE → DE123456789.
 */
export function checkVatId(country: string, raw: string): VatIdCheck {
  const format = VAT_NUMBER_FORMATS[country];
  if (format === undefined) {
    return { valid: false, reason: `VAT ids are only taken for EU member states and GB, not ${country}` };
  }
  const prefix = vatPrefixOf(country);
  const compact = raw.toUpperCase().replace(/[\s.-]/g, '');
  const number = compact.startsWith(prefix) ? compact.slice(prefix.length) : compact;
  if (/^[A-Z]{2}/.test(number) && !format.test(number) && !/^(GD|HA)/.test(number)) {
    return { valid: false, reason: `a ${country} VAT id starts with ${prefix}, not ${number.slice(0, 2)}` };
  }
  if (!format.test(number)) {
    return { valid: false, reason: `${prefix}${number} is not in the format of a ${country} VAT id` };
  }
  return { valid: true, vatId: `${prefix}${number}` };
}
