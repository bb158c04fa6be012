import type { PartyDetails } from './invoice.entity';

/**
 * The legal entity that issues every invoice and credit note, from the configuration (SELLER_NAME,
 * SELLER_ADDRESS, SELLER_TAX_ID; AppConfig.seller). Each document stores a copy, so a later change
 * of address or tax id never rewrites documents already issued.
 */
export function sellerDetails(config: { seller: PartyDetails }): PartyDetails {
  const { name, address, taxId } = config.seller;
  return { name, address, taxId };
}
