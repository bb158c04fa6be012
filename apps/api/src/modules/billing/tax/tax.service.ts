import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { CustomerTaxProfile } from './customer-tax-profile.entity';
import { SELLER_TAX_SETUP } from './seller-registrations';
import { type JurisdictionRate, type TaxDecision, decideTax } from './tax-decision';
import { TaxRateRow } from './tax-rate.entity';

/**
 * The tax port: how the sales of an instant are taxed, per customer. The default (and the sandbox's)
 * implementation reads the rate table; a live deployment may bind a Stripe Tax implementation
 * instead (docs/finance.md "Tax model": what it must return and why the rate table stays the
 * sandbox's source).
 */
export abstract class TaxCalculator {
  abstract decide(
    manager: EntityManager,
    customerIds: readonly string[],
    at: Date,
  ): Promise<Map<string, TaxDecision>>;

  /** One customer's decision. */
  async decideOne(manager: EntityManager, customerId: string, at: Date): Promise<TaxDecision> {
    const decision = (await this.decide(manager, [customerId], at)).get(customerId);
    if (decision === undefined) throw new Error(`no tax decision for customer ${customerId}`);
    return decision;
  }
}

/** TaxCalculator over billing.tax_rates, the seller's registrations and the customers' tax details. */
@Injectable()
export class RateTableTaxCalculator extends TaxCalculator {
  async decide(
    manager: EntityManager,
    customerIds: readonly string[],
    at: Date,
  ): Promise<Map<string, TaxDecision>> {
    const ids = [...new Set(customerIds)];
    const decisions = new Map<string, TaxDecision>();
    if (ids.length === 0) return decisions;
    const profiles = await manager.find(CustomerTaxProfile, { where: { customerId: In(ids) } });
    const byCustomer = new Map(profiles.map((profile) => [profile.customerId, profile]));
    const countries = [
      ...new Set(profiles.map((profile) => profile.country).filter((c): c is string => c !== null)),
    ];
    const rates: JurisdictionRate[] =
      countries.length === 0 ? [] : await manager.find(TaxRateRow, { where: { country: In(countries) } });
    for (const id of ids) {
      const profile = byCustomer.get(id);
      decisions.set(
        id,
        decideTax(
          profile === undefined
            ? null
            : { country: profile.country, region: profile.region, vatId: profile.vatId },
          SELLER_TAX_SETUP,
          rates,
          at,
        ),
      );
    }
    return decisions;
  }
}
