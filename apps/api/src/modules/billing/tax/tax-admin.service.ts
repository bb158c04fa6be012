import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { isCurrencyCode } from '@astrix/pricing';
import { CustomerTaxProfile } from './customer-tax-profile.entity';
import { TaxRateRow } from './tax-rate.entity';
import { checkVatId, hasVatIds } from './vat-id';

export interface TaxRateInput {
  country: string;
  region?: string | null;
  name: string;
  percentage: string;
  inclusive: boolean;
  validFrom: Date;
  validTo?: Date | null;
}

export interface TaxDetailsInput {
  country: string | null;
  region?: string | null;
  postalCode?: string | null;
  vatId?: string | null;
  billingCurrency?: string | null;
}

export interface TaxRateView {
  id: string;
  country: string;
  region: string | null;
  name: string;
  percentage: string;
  inclusive: boolean;
  validFrom: string;
  validTo: string | null;
  createdAt: string;
  createdBy: string;
}

export interface TaxDetailsView {
  customerId: string;
  country: string | null;
  region: string | null;
  postalCode: string | null;
  vatId: string | null;
  billingCurrency: string | null;
  updatedAt: string | null;
}

const PERCENTAGE = /^(0|[1-9]\d?)(\.\d{1,4})?$/;
const COUNTRY = /^[A-Z]{2}$/;

function invalid(field: string, message: string): AppError {
  return new AppError(400, 'VALIDATION_ERROR', `${field}: ${message}`, [{ field, message }]);
}

export function rateView(row: TaxRateRow): TaxRateView {
  return {
    id: row.id,
    country: row.country,
    region: row.region,
    name: row.name,
    percentage: row.percentage,
    inclusive: row.inclusive,
    validFrom: row.validFrom.toISOString(),
    validTo: row.validTo?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  };
}

function detailsView(customerId: string, row: CustomerTaxProfile | null): TaxDetailsView {
  return {
    customerId,
    country: row?.country ?? null,
    region: row?.region ?? null,
    postalCode: row?.postalCode ?? null,
    vatId: row?.vatId ?? null,
    billingCurrency: row?.billingCurrency ?? null,
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

/**
 * The one writer of billing.tax_rates and billing.customer_tax_profiles. Rates are added and ended,
 * never edited or deleted (an invoice names the rate it used); two rates of one jurisdiction never
 * overlap. Every change is audited in its transaction.
 */
@Injectable()
export class TaxAdmin {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async listRates(country?: string): Promise<TaxRateView[]> {
    const rows = await this.dataSource.getRepository(TaxRateRow).find({
      where: country === undefined ? {} : { country: country.toUpperCase() },
      order: { country: 'ASC', region: 'ASC', validFrom: 'ASC' },
    });
    return rows.map(rateView);
  }

  async createRate(input: TaxRateInput, context: RequestContext): Promise<TaxRateView> {
    const country = input.country.trim().toUpperCase();
    if (!COUNTRY.test(country)) throw invalid('country', 'must be an ISO 3166-1 alpha-2 code such as GB');
    if (!PERCENTAGE.test(input.percentage)) {
      throw invalid('percentage', 'must be a decimal percentage from 0 to 99.9999, e.g. "20" or "8.875"');
    }
    const validTo = input.validTo ?? null;
    if (validTo !== null && validTo.getTime() <= input.validFrom.getTime()) {
      throw invalid('validTo', 'must be after validFrom');
    }
    const region = input.region?.trim() ? input.region.trim().toUpperCase() : null;
    return this.dataSource.transaction(async (manager) => {
      // One writer at a time per jurisdiction, so the overlap check holds.
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `tax-rate:${country}:${region ?? ''}`,
      ]);
      await this.refuseOverlap(manager, country, region, input.validFrom, validTo);
      const row = manager.create(TaxRateRow, {
        id: newId('txr'),
        country,
        region,
        name: input.name.trim(),
        percentage: input.percentage,
        inclusive: input.inclusive,
        validFrom: input.validFrom,
        validTo,
        createdAt: this.clock.now(),
        createdBy: actorLabel(context.actor),
      });
      await manager.insert(TaxRateRow, row);
      await this.audit.record(manager, context, {
        action: 'tax_rate.created',
        resourceType: 'tax_rate',
        resourceId: row.id,
        after: { ...rateView(row) },
      });
      return rateView(row);
    });
  }

  /** Ends a rate at `validTo` (a change of rate is an end plus a new rate from that instant). */
  async endRate(id: string, validTo: Date, context: RequestContext): Promise<TaxRateView> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.findOne(TaxRateRow, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (row === null) throw new NotFoundError('tax rate', id);
      if (validTo.getTime() <= row.validFrom.getTime())
        throw invalid('validTo', 'must be after the rate\u2019s validFrom');
      if (row.validTo !== null && row.validTo.getTime() <= validTo.getTime()) {
        throw new ConflictError(`tax rate ${id} already ends at ${row.validTo.toISOString()}`);
      }
      await manager.update(TaxRateRow, { id }, { validTo });
      await this.audit.record(manager, context, {
        action: 'tax_rate.ended',
        resourceType: 'tax_rate',
        resourceId: id,
        before: { validTo: row.validTo?.toISOString() ?? null },
        after: { validTo: validTo.toISOString() },
      });
      return rateView({ ...row, validTo });
    });
  }

  async details(customerId: string): Promise<TaxDetailsView> {
    const row = await this.dataSource.getRepository(CustomerTaxProfile).findOne({ where: { customerId } });
    return detailsView(customerId, row);
  }

  /** Sets a customer's tax details; the VAT id is format-checked for its country and stored normalized. */
  async setDetails(
    customerId: string,
    input: TaxDetailsInput,
    context: RequestContext,
  ): Promise<TaxDetailsView> {
    const country = input.country?.trim() ? input.country.trim().toUpperCase() : null;
    if (country !== null && !COUNTRY.test(country))
      throw invalid('country', 'must be an ISO 3166-1 alpha-2 code such as DE');
    let vatId: string | null = null;
    if (input.vatId?.trim()) {
      if (country === null) throw invalid('vatId', 'needs the country it was issued in');
      if (!hasVatIds(country))
        throw invalid('vatId', `VAT ids are only taken for EU member states and GB, not ${country}`);
      const check = checkVatId(country, input.vatId);
      if (!check.valid) throw invalid('vatId', check.reason);
      vatId = check.vatId;
    }
    const billingCurrency = input.billingCurrency?.trim() ? input.billingCurrency.trim().toUpperCase() : null;
    if (billingCurrency !== null && !isCurrencyCode(billingCurrency)) {
      throw invalid('billingCurrency', `${billingCurrency} is not an ISO 4217 currency`);
    }
    return this.dataSource.transaction(async (manager) => {
      const [customer] = (await manager.query('SELECT id FROM billing.customers WHERE id = $1', [
        customerId,
      ])) as unknown[];
      if (customer === undefined) throw new NotFoundError('customer', customerId);
      const before = await manager.findOne(CustomerTaxProfile, {
        where: { customerId },
        lock: { mode: 'pessimistic_write' },
      });
      const currency = await this.checkedBillingCurrency(manager, customerId, before, billingCurrency, input);
      const row: CustomerTaxProfile = {
        customerId,
        country,
        region: input.region?.trim() ? input.region.trim().toUpperCase() : null,
        postalCode: input.postalCode?.trim() ? input.postalCode.trim().toUpperCase() : null,
        vatId,
        billingCurrency: currency,
        updatedAt: this.clock.now(),
      };
      await manager.upsert(CustomerTaxProfile, row, ['customerId']);
      await this.audit.record(manager, context, {
        action: 'customer.tax_details_set',
        resourceType: 'customer',
        resourceId: customerId,
        before: before === null ? null : { ...detailsView(customerId, before) },
        after: { ...detailsView(customerId, row) },
      });
      return detailsView(customerId, row);
    });
  }

  /**
   * A customer's billing currency may change only while no subscription of theirs is running in
   * another currency (a subscription never switches currency mid-period).
   */
  private async checkedBillingCurrency(
    manager: EntityManager,
    customerId: string,
    before: CustomerTaxProfile | null,
    requested: string | null,
    input: TaxDetailsInput,
  ): Promise<string | null> {
    if (input.billingCurrency === undefined) return before?.billingCurrency ?? null;
    if (requested === null || requested === before?.billingCurrency) return requested;
    const [running] = (await manager.query(
      `SELECT id, currency FROM billing.subscriptions
        WHERE customer_id = $1 AND status IN ('trialing', 'active', 'past_due', 'paused') AND currency <> $2
        LIMIT 1`,
      [customerId, requested],
    )) as Array<{ id: string; currency: string }>;
    if (running) {
      throw new ConflictError(
        `subscription ${running.id} bills in ${running.currency}: the billing currency cannot change to ${requested} while it runs (a subscription never switches currency mid-period)`,
      );
    }
    return requested;
  }

  private async refuseOverlap(
    manager: EntityManager,
    country: string,
    region: string | null,
    validFrom: Date,
    validTo: Date | null,
  ): Promise<void> {
    const [overlap] = (await manager.query(
      `SELECT id FROM billing.tax_rates
        WHERE country = $1 AND region IS NOT DISTINCT FROM $2
          AND (valid_to IS NULL OR valid_to > $3) AND ($4::timestamptz IS NULL OR valid_from < $4)
        LIMIT 1`,
      [country, region, validFrom, validTo],
    )) as Array<{ id: string }>;
    if (overlap) {
      throw new ConflictError(
        `tax rate ${overlap.id} of ${country}${region ? `/${region}` : ''} overlaps that validity: end it first`,
      );
    }
  }
}
