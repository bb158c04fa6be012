import { Injectable, Logger } from '@nestjs/common';
import {
  InvalidRequestError,
  type PaymentProcessor,
  type ProcessorTaxCalculation,
} from '@astrix/stripe-client';
import type { Counter } from 'prom-client';
import { type EntityManager, In } from 'typeorm';
import { AppError } from '../../../platform/http/app-error';
import { MetricsRegistry } from '../../../platform/metrics/metrics-registry';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { CustomerTaxProfile } from './customer-tax-profile.entity';
import { SELLER_TAX_SETUP } from './seller-registrations';
import { UnusableTaxAnswerError, decisionFromStripeTax } from './stripe-tax-decision';
import { checkVatId } from './vat-id';
import { type JurisdictionRate, type TaxDecision, TaxConfigurationError, decideTax } from './tax-decision';
import { TaxRateRow } from './tax-rate.entity';

/** What a customer is being sold, for an engine that computes per sale (Stripe Tax). */
export interface TaxableSale {
  currency: string;
  /** Minor units before tax is added (an inclusive price holds it); the sign is ignored. */
  amount: number;
}

/**
 * The tax port: how the sales of an instant are taxed, per customer. `rate-table` (the default, and
 * the sandbox's only engine) reads billing.tax_rates; `stripe` (TAX_ENGINE=stripe, live mode) asks
 * Stripe Tax. Either way the answer is a decision (treatment, jurisdiction, rate) that
 * @astrix/pricing applies per line (docs/finance.md "Tax model").
 */
export abstract class TaxCalculator {
  abstract decide(
    manager: EntityManager,
    customerIds: readonly string[],
    at: Date,
    sales?: ReadonlyMap<string, TaxableSale>,
  ): Promise<Map<string, TaxDecision>>;

  /** One customer's decision. */
  async decideOne(
    manager: EntityManager,
    customerId: string,
    at: Date,
    sale?: TaxableSale,
  ): Promise<TaxDecision> {
    const sales = sale === undefined ? undefined : new Map([[customerId, sale]]);
    const decision = (await this.decide(manager, [customerId], at, sales)).get(customerId);
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

/**
 * Stripe Tax did not give a usable answer: the sale is refused (checkout 503/502), never taxed as
 * zero; a billing run holds the renewal and retries it on its next run.
 */
export class TaxEngineError extends AppError {
  constructor(status: 502 | 503, reason: string) {
    super(
      status,
      status === 503 ? 'TAX_ENGINE_UNAVAILABLE' : 'TAX_ENGINE_ERROR',
      `tax could not be calculated: ${reason}; nothing was charged, try again later`,
    );
  }
}

/** Counts sales refused or held for a missing rate, by jurisdiction (an alert pages finance). */
@Injectable()
export class TaxGapMetrics {
  private readonly missing: Counter<'country'>;
  private readonly engineFailures: Counter<'engine' | 'reason'>;
  private readonly logger = new Logger('Tax');

  constructor(metrics: MetricsRegistry) {
    this.missing = metrics.counter({
      name: 'astrix_tax_rate_missing_total',
      help: 'Sales refused (checkout, plan change) or renewals held by the billing run because the seller is registered in the jurisdiction but no tax rate is in force there.',
      labelNames: ['country'],
    });
    this.engineFailures = metrics.counter({
      name: 'astrix_tax_engine_failures_total',
      help: 'Tax calculations the engine (Stripe Tax) could not answer or answered unusably; the sale was refused or the renewal held.',
      labelNames: ['engine', 'reason'],
    });
  }

  /** Records a failed engine call and returns the error to throw (503 unavailable, 502 refused or unusable). */
  engineFailed(engine: string, error: unknown): TaxEngineError {
    const refused = error instanceof InvalidRequestError;
    const unusable = error instanceof UnusableTaxAnswerError;
    const reason = refused ? 'refused' : unusable ? 'unusable_answer' : 'unavailable';
    this.engineFailures.inc({ engine, reason });
    const detail = error instanceof Error ? error.message : String(error);
    this.logger.error(`tax engine ${engine} ${reason}: ${detail}`);
    return new TaxEngineError(
      refused || unusable ? 502 : 503,
      refused
        ? `Stripe Tax refused the calculation (${detail})`
        : unusable
          ? `Stripe Tax gave an answer we cannot use (${detail})`
          : 'Stripe Tax did not answer',
    );
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

/** Countries whose sales are priced tax-inclusive: where the seller is VAT-registered (UK, EU OSS). */
function pricedInclusive(country: string): boolean {
  return SELLER_TAX_SETUP.registrations.some((registration) => registration.countries.includes(country));
}

/** Stripe Tax wants a tax id type per scheme: UK VAT or EU VAT (the only business ids we check). */
function stripeTaxIdType(country: string): string {
  return country === 'GB' ? 'gb_vat' : 'eu_vat';
}

/** Without the sale (a caller that does not say), a nominal amount: only the decision is used. */
const NOMINAL_SALE: TaxableSale = { currency: 'USD', amount: 10_000 };

/**
 * TaxCalculator over Stripe Tax (TAX_ENGINE=stripe, live mode): one calculation per customer with
 * the customer's address and valid VAT id and the sale's amount, read into a decision
 * (stripe-tax-decision.ts). A customer without a country is not asked about (no_tax_details, as the
 * rate table). Any failure refuses the sale: 503 TAX_ENGINE_UNAVAILABLE or 502 TAX_ENGINE_ERROR.
 */
@Injectable()
export class StripeTaxCalculator extends TaxCalculator {
  constructor(
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly gaps: TaxGapMetrics,
  ) {
    super();
  }

  async decide(
    manager: EntityManager,
    customerIds: readonly string[],
    at: Date,
    sales?: ReadonlyMap<string, TaxableSale>,
  ): Promise<Map<string, TaxDecision>> {
    const ids = [...new Set(customerIds)];
    const decisions = new Map<string, TaxDecision>();
    if (ids.length === 0) return decisions;
    const profiles = await manager.find(CustomerTaxProfile, { where: { customerId: In(ids) } });
    const byCustomer = new Map(profiles.map((profile) => [profile.customerId, profile]));
    await Promise.all(
      ids.map(async (id) => {
        const profile = byCustomer.get(id);
        if (profile === undefined || profile.country === null) {
          decisions.set(id, decideTax(null, SELLER_TAX_SETUP, [], at));
          return;
        }
        const country = profile.country;
        const vat = profile.vatId ? checkVatId(country, profile.vatId) : null;
        const vatId = vat?.valid ? vat.vatId : null;
        const sale = sales?.get(id) ?? NOMINAL_SALE;
        const inclusive = pricedInclusive(country);
        let calculation: ProcessorTaxCalculation;
        try {
          calculation = await this.processor.calculateTax({
            currency: sale.currency,
            customer: {
              country,
              postalCode: profile.postalCode,
              state: profile.region,
              taxIds: vatId === null ? [] : [{ type: stripeTaxIdType(country), value: vatId }],
            },
            lines: [
              {
                reference: 'sale',
                amountMinor: Math.abs(sale.amount),
                taxBehavior: inclusive ? 'inclusive' : 'exclusive',
              },
            ],
            taxDate: at,
          });
        } catch (error) {
          throw this.gaps.engineFailed('stripe', error);
        }
        try {
          decisions.set(
            id,
            decisionFromStripeTax(
              calculation.breakdown,
              { country, region: profile.region, vatId },
              inclusive,
            ),
          );
        } catch (error) {
          throw this.gaps.engineFailed('stripe', error);
        }
      }),
    );
    return decisions;
  }
}
