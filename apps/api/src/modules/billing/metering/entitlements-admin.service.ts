import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type {
  CustomerEntitlementView,
  FeatureView,
  PlanFeatureView,
  UsagePriceInput,
} from '@astrix/contracts';
import { type CurrencyCode, type Price, PricingError, assertPrice, parseCurrencyCode } from '@astrix/pricing';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorReference, RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Product } from '../catalog/product.entity';
import { Customer } from '../customers/customer.entity';
import { UsagePrice } from './usage-price.entity';
import { CustomerEntitlement } from './customer-entitlement.entity';
import type {
  CreateFeatureDto,
  PutCustomerEntitlementDto,
  PutPlanFeatureDto,
  UpdateFeatureDto,
} from './dto/entitlements.dto';
import { EntitlementsCatalog } from './entitlements-catalog';
import { Feature } from './feature.entity';
import {
  planFeatureView,
  samePrice,
  toCustomerEntitlementView,
  toFeatureView,
  toPricingPrice,
} from './entitlement-admin-views';
import { PlanFeature } from './plan-feature.entity';

/**
 * Staff administration of entitlements: features, what plans grant (with usage prices), and per-customer
 * grants and overrides. Every change is audited with before and after in its transaction; changes to
 * definitions bump the version the entitlement checks compare their cached copy with.
 */
@Injectable()
export class EntitlementsAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: EntitlementsCatalog,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async listFeatures(): Promise<{ data: FeatureView[] }> {
    const features = await this.dataSource.getRepository(Feature).find({ order: { id: 'ASC' } });
    return { data: features.map(toFeatureView) };
  }

  async getFeature(id: string): Promise<FeatureView> {
    const feature = await this.dataSource.getRepository(Feature).findOne({ where: { id } });
    if (!feature) throw new NotFoundError('feature', id);
    return toFeatureView(feature);
  }

  async createFeature(input: CreateFeatureDto, context: RequestContext): Promise<FeatureView> {
    const aggregation = input.kind === 'boolean' ? null : (input.aggregation ?? 'sum');
    if (input.kind === 'boolean' && (input.aggregation || input.aggregationProperty)) {
      throw new AppError(422, 'VALIDATION_ERROR', 'a boolean feature takes no usage: no aggregation');
    }
    if ((aggregation === 'unique_count') !== (input.aggregationProperty !== undefined)) {
      throw new AppError(
        422,
        'VALIDATION_ERROR',
        'aggregationProperty names the property unique_count counts, and only unique_count has one',
      );
    }
    return this.change(async (manager) => {
      if (await manager.exists(Feature, { where: { id: input.id } })) {
        throw new ConflictError(`feature ${input.id} already exists`);
      }
      const now = this.clock.now();
      const feature = manager.create(Feature, {
        id: input.id,
        name: input.name,
        description: input.description ?? null,
        kind: input.kind,
        unit: input.unit ?? null,
        aggregation,
        aggregationProperty: input.aggregationProperty ?? null,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(Feature, feature);
      const view = toFeatureView(feature);
      await this.audit.record(manager, context, {
        action: 'feature.created',
        resourceType: 'feature',
        resourceId: feature.id,
        after: { ...view },
      });
      return view;
    });
  }

  async updateFeature(id: string, input: UpdateFeatureDto, context: RequestContext): Promise<FeatureView> {
    return this.change(async (manager) => {
      const feature = await manager.findOne(Feature, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!feature) throw new NotFoundError('feature', id);
      const before = toFeatureView(feature);
      Object.assign(feature, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.unit !== undefined ? { unit: input.unit } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        updatedAt: this.clock.now(),
      });
      await manager.save(Feature, feature);
      const after = toFeatureView(feature);
      await this.audit.record(manager, context, {
        action: 'feature.updated',
        resourceType: 'feature',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }

  async listPlanFeatures(productId: string): Promise<{ data: PlanFeatureView[] }> {
    const manager = this.dataSource.manager;
    await this.subscriptionProduct(manager, productId);
    const grants = await manager.find(PlanFeature, {
      where: { productId, archivedAt: IsNull() },
      order: { featureId: 'ASC' },
    });
    const prices = await manager.find(UsagePrice, {
      where: { productId, effectiveTo: IsNull() },
      order: { currency: 'ASC' },
    });
    return { data: grants.map((grant) => planFeatureView(grant, prices)) };
  }

  async putPlanFeature(
    productId: string,
    featureId: string,
    input: PutPlanFeatureDto,
    context: RequestContext,
  ): Promise<PlanFeatureView> {
    return this.change(async (manager) => {
      await this.subscriptionProduct(manager, productId);
      const feature = await manager.findOne(Feature, { where: { id: featureId } });
      if (!feature || feature.status !== 'active') throw new NotFoundError('feature', featureId);
      const prices = this.usagePrices(feature, input.prices ?? []);
      const now = this.clock.now();
      const existing = await manager.findOne(PlanFeature, {
        where: { productId, featureId },
        lock: { mode: 'pessimistic_write' },
      });
      const existingPrices = await livePrices(manager, productId, featureId);
      const live = existing?.archivedAt === null ? existing : null;
      const before = live ? planFeatureView(live, existingPrices) : null;
      const grant = manager.create(PlanFeature, {
        productId,
        featureId,
        limit: feature.kind === 'boolean' ? null : (input.limit ?? null),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        archivedAt: null,
      });
      await manager.save(PlanFeature, grant);
      if (input.prices !== undefined) {
        // Versioned: a changed or dropped price is superseded from now, usage before keeps its price.
        const wanted = new Map(prices.map((entry) => [entry.currency as string, entry.price]));
        for (const current of existingPrices) {
          const next = wanted.get(current.currency);
          if (next !== undefined && samePrice(next, current.price)) {
            wanted.delete(current.currency);
            continue;
          }
          await endVersion(manager, current, now);
        }
        const rows = [...wanted].map(([currency, price]) =>
          manager.create(UsagePrice, {
            productId,
            featureId,
            currency,
            price,
            effectiveFrom: now,
            effectiveTo: null,
            createdAt: now,
            updatedAt: now,
          }),
        );
        if (rows.length > 0) {
          await manager.upsert(UsagePrice, rows, ['productId', 'featureId', 'currency', 'effectiveFrom']);
        }
      }
      const after = planFeatureView(grant, await livePrices(manager, productId, featureId));
      await this.audit.record(manager, context, {
        action: before ? 'plan_feature.updated' : 'plan_feature.granted',
        resourceType: 'plan_feature',
        resourceId: `${productId}/${featureId}`,
        before: before ? { ...before } : null,
        after: { ...after },
      });
      return after;
    });
  }

  async removePlanFeature(
    productId: string,
    featureId: string,
    context: RequestContext,
  ): Promise<PlanFeatureView> {
    return this.change(async (manager) => {
      const existing = await manager.findOne(PlanFeature, {
        where: { productId, featureId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!existing || existing.archivedAt !== null) {
        throw new NotFoundError('plan feature', `${productId}/${featureId}`);
      }
      const prices = await livePrices(manager, productId, featureId);
      const before = planFeatureView(existing, prices);
      // Archived, never deleted: usage already accrued is still priced by the versions in force then.
      const now = this.clock.now();
      for (const price of prices) await endVersion(manager, price, now);
      await manager.update(PlanFeature, { productId, featureId }, { archivedAt: now, updatedAt: now });
      await this.audit.record(manager, context, {
        action: 'plan_feature.removed',
        resourceType: 'plan_feature',
        resourceId: `${productId}/${featureId}`,
        before: { ...before },
      });
      return before;
    });
  }

  async listCustomerEntitlements(customerRef: string): Promise<{ data: CustomerEntitlementView[] }> {
    const customer = await this.customer(this.dataSource.manager, customerRef);
    const rows = await this.dataSource
      .getRepository(CustomerEntitlement)
      .find({ where: { customerId: customer.id }, order: { id: 'DESC' } });
    return { data: rows.map(toCustomerEntitlementView) };
  }

  /** Sets the customer's grant or override of a feature, replacing (revoking) the live one. */
  async putCustomerEntitlement(
    customerRef: string,
    featureId: string,
    input: PutCustomerEntitlementDto,
    context: RequestContext,
  ): Promise<CustomerEntitlementView> {
    const now = this.clock.now();
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) {
      throw new AppError(422, 'VALIDATION_ERROR', 'expiresAt must be in the future', [
        { field: 'expiresAt', message: 'must be in the future' },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const customer = await this.customer(manager, customerRef, true);
      const feature = await manager.findOne(Feature, { where: { id: featureId } });
      if (!feature || feature.status !== 'active') throw new NotFoundError('feature', featureId);
      const previous = await manager.findOne(CustomerEntitlement, {
        where: { customerId: customer.id, featureId, revokedAt: IsNull() },
      });
      const actor = actorReference(context.actor).id;
      if (previous) {
        await manager.update(CustomerEntitlement, { id: previous.id }, { revokedAt: now, revokedBy: actor });
      }
      const row = manager.create(CustomerEntitlement, {
        id: newId('cent'),
        customerId: customer.id,
        featureId,
        kind: input.kind,
        enabled: input.enabled ?? true,
        limit: feature.kind === 'boolean' ? null : (input.limit ?? null),
        expiresAt,
        reason: input.reason,
        createdBy: actor,
        createdAt: now,
        revokedAt: null,
        revokedBy: null,
      });
      await manager.insert(CustomerEntitlement, row);
      const after = toCustomerEntitlementView(row);
      await this.audit.record(manager, context, {
        action: `customer_entitlement.${input.kind === 'grant' ? 'granted' : 'overridden'}`,
        resourceType: 'customer_entitlement',
        resourceId: row.id,
        before: previous ? { ...toCustomerEntitlementView(previous) } : null,
        after: { ...after },
      });
      return after;
    });
  }

  async revokeCustomerEntitlement(
    customerRef: string,
    featureId: string,
    reason: string,
    context: RequestContext,
  ): Promise<CustomerEntitlementView> {
    return this.dataSource.transaction(async (manager) => {
      const customer = await this.customer(manager, customerRef, true);
      const live = await manager.findOne(CustomerEntitlement, {
        where: { customerId: customer.id, featureId, revokedAt: IsNull() },
      });
      if (!live) throw new NotFoundError('customer entitlement', `${customer.id}/${featureId}`);
      const before = toCustomerEntitlementView(live);
      live.revokedAt = this.clock.now();
      live.revokedBy = actorReference(context.actor).id;
      await manager.update(
        CustomerEntitlement,
        { id: live.id },
        { revokedAt: live.revokedAt, revokedBy: live.revokedBy },
      );
      const after = toCustomerEntitlementView(live);
      await this.audit.record(manager, context, {
        action: 'customer_entitlement.revoked',
        resourceType: 'customer_entitlement',
        resourceId: live.id,
        before: { ...before },
        after: { ...after, revokeReason: reason },
      });
      return after;
    });
  }

  /** Our customer by id or external reference; locked when changing its entitlements. */
  async customer(manager: EntityManager, ref: string, lock = false): Promise<Customer> {
    const customer = await manager.findOne(Customer, {
      where: [{ id: ref }, { userId: ref }],
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!customer) throw new NotFoundError('customer', ref.slice(0, 64));
    return customer;
  }

  private async subscriptionProduct(manager: EntityManager, productId: string): Promise<Product> {
    const product = await manager.findOne(Product, { where: { id: productId } });
    if (!product) throw new NotFoundError('product', productId.slice(0, 64));
    if (product.kind !== 'subscription') {
      throw new AppError(
        422,
        'VALIDATION_ERROR',
        `product ${productId} is not a plan (kind ${product.kind})`,
      );
    }
    return product;
  }

  private usagePrices(
    feature: Feature,
    inputs: UsagePriceInput[],
  ): Array<{ currency: CurrencyCode; price: Price }> {
    if (inputs.length > 0 && feature.kind !== 'metered') {
      throw new AppError(
        422,
        'VALIDATION_ERROR',
        `only metered features have usage prices; ${feature.id} is ${feature.kind}`,
      );
    }
    const seen = new Set<string>();
    return inputs.map((input, index) => {
      const currency = parseCurrencyCode(input.currency);
      if (seen.has(currency)) {
        throw new AppError(422, 'VALIDATION_ERROR', `prices list ${currency} twice`, [
          { field: `prices.${index}.currency`, message: 'one price per currency' },
        ]);
      }
      seen.add(currency);
      const price = toPricingPrice(input, currency);
      try {
        assertPrice(price);
      } catch (error) {
        if (error instanceof PricingError) {
          throw new AppError(422, 'VALIDATION_ERROR', `prices.${index}: ${error.message}`, [
            { field: `prices.${index}`, message: error.message },
          ]);
        }
        throw error;
      }
      return { currency, price };
    });
  }

  /** A definition change: its transaction bumps the version; the local copy is dropped after commit. */
  private async change<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(async (manager) => {
      const value = await work(manager);
      await this.catalog.bump(manager);
      return value;
    });
    this.catalog.invalidate();
    return result;
  }
}

/** The usage price versions of a plan's feature in force (one per currency). */
function livePrices(manager: EntityManager, productId: string, featureId: string): Promise<UsagePrice[]> {
  return manager.find(UsagePrice, {
    where: { productId, featureId, effectiveTo: IsNull() },
    order: { currency: 'ASC' },
  });
}

/** Ends a usage price version at `at` (one that took effect at that instant never priced anything). */
async function endVersion(manager: EntityManager, version: UsagePrice, at: Date): Promise<void> {
  const end = at > version.effectiveFrom ? at : version.effectiveFrom;
  await manager.update(
    UsagePrice,
    {
      productId: version.productId,
      featureId: version.featureId,
      currency: version.currency,
      effectiveFrom: version.effectiveFrom,
    },
    { effectiveTo: end, updatedAt: at },
  );
}
