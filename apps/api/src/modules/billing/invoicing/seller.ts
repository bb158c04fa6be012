import type { PartyDetails } from './invoice.entity';

/**
 * The legal entity that issues every invoice and credit note. Each document stores a copy, so a
 * later change of address or tax id never rewrites documents already issued.
 */
export const ASTRIX_SELLER: Readonly<PartyDetails> = Object.freeze({
  name: 'Astrix Trading Ltd.',
  address: '20 Fenchurch Street, 4th Floor, London EC3M 3BY, United Kingdom',
  taxId: 'GB 394 1275 60',
});
