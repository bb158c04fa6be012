import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { type EntityManager, In } from 'typeorm';
import { AppError } from '../../../platform/http/app-error';
import { MetricsRegistry } from '../../../platform/metrics/metrics-registry';
import { CustomerTaxProfile } from './customer-tax-profile.entity';
import { SELLER_TAX_SETUP } from './seller-registrations';
import {
  type JurisdictionRate,
  type TaxDecision,
  TaxConfigurationError,
  decideTax,
} from './tax-decision';
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

/**
 * A sale that cannot be taxed because the seller is registered in the customer's jurisdiction but no
 * rate is in force there (a configuration gap finance must close): 422 at the edge, before anything
 * is written; a billing run holds the renewal under this code (docs/finance.md "A missing rate").
 */
export class TaxRateMissingError extends AppError {
  constructor(readonly configuration: TaxConfigurationError) {
    const cause = configuration;
    const where = `${cause.country}${cause.region ? `/${cause.region}` : ''}`;
    super(
      422,
      'TAX_RATE_MISSING',
      `this sale cannot be taxed: the seller is registered for tax in ${where} but no tax rate for ${where} is in force on ${cause.at.toISOString().slice(0, 10)}; nothing was charged, finance has been alerted`,
    );
  }
}

/** Counts sales refused or held for a missing rate, by jurisdiction (an alert pages finance). */
@Injectable()
export class TaxGapMetrics {
  private readonly missing: Counter<'country'>;
  private readonly logger = new Logger('Tax');

  constructor(metrics: MetricsRegistry) {
    this.missing = metrics.counter({
      name: 'astrix_tax_rate_missing_total',
      help: 'Sales refused (checkout, plan change) or renewals held by the billing run because the seller is registered in the jurisdiction but no tax rate is in force there.',
      labelNames: ['country'],
    });
  }

  /** Records the gap and returns the error to throw. */
  missingRate(cause: TaxConfigurationError): TaxRateMissingError {
    this.missing.inc({ country: cause.country });
    this.logger.error(`tax rate missing: ${cause.message}`);
    return new TaxRateMissingError(cause);
  }
}

/** TaxCalculator over billing.tax_rates, the seller's registrations and the customers' tax details. */
@Injectable()
export class RateTableTaxCalculator extends TaxCalculator {
  constructor(private readonly gaps: TaxGapMetrics) {
    super();
  }

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
      try {
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
      } catch (error) {
        if (error instanceof TaxConfigurationError) throw this.gaps.missingRate(error);
        throw error;
      }
    }
    return decisions;
  }
}
