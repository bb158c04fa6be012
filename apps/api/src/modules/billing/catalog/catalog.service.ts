import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, In, LessThan, QueryFailedError } from 'typeorm';
import type { ErrorDetail, Page, ProductAttributes, ProductKind, ProductView } from '@astrix/contracts';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import type { CouponView } from '../coupons/coupon-views';
import { insertMissingDemoCoupons } from '../coupons/demo-coupons';
import { insertMissingDemoEntitlements } from '../metering/demo-entitlements';
import {
  byUnitAmount,
  PRODUCT_KINDS,
  ProductDetails,
  toProductDetails,
  toProductView,
} from './catalog-views';
import { DEMO_PRODUCTS } from './demo-catalog';
import { Price, RecurringInterval } from './price.entity';
import { Product, ProductStatus } from './product.entity';

export interface PriceInput {
  currency: string;
  /** Minor units. */
  unitAmount: number;
  recurring?: { interval: RecurringInterval; intervalCount?: number } | null;
}

export interface ProductInput {
  kind: ProductKind;
  name: string;
  slug?: string;
  description?: string | null;
  attributes?: ProductAttributes;
  prices: PriceInput[];
}

/** Fields left undefined stay as they are; `attributes` and `prices` replace the whole set. */
export interface ProductChanges {
  name?: string;
  description?: string | null;
  attributes?: ProductAttributes;
  prices?: PriceInput[];
}

export interface DemoCatalogReport {
  productsCreated: ProductDetails[];
  /** Prices added to demo products that already existed but lacked a currency. */
  pricesAdded: Array<{ slug: string; currency: string; unitAmount: number }>;
  productsUnchanged: number;
  couponsCreated: CouponView[];
  couponsUnchanged: number;
  /** Demo features created (and granted to pro-monthly). */
  featuresCreated?: string[];
}

const SEED_CONTEXT: RequestContext = {
  actor: { kind: 'system', name: 'seed:demo-catalog' },
  requestId: null,
};

const SLUG_MAX_LENGTH = 80;
const SEED_LOCK = 'billing.catalog.seed-demo';

/** "Evaluation 50k (EU)" → "evaluation-50k-eu". */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/, '');
}

function validationError(details: ErrorDetail[]): AppError {
  return new AppError(400, 'VALIDATION_ERROR', details.map((detail) => detail.message).join('; '), details);
}

/** Plain JSON without the undefined keys a DTO instance carries, so audit rows show what was stored. */
function storedAttributes(attributes: ProductAttributes | undefined): ProductAttributes {
  const stored: ProductAttributes = {};
  if (!attributes) return stored;
  if (attributes.accountSize !== undefined) stored.accountSize = attributes.accountSize;
  if (attributes.phases !== undefined) stored.phases = attributes.phases;
  if (attributes.profitTargetPercent !== undefined)
    stored.profitTargetPercent = [...attributes.profitTargetPercent];
  if (attributes.maxDailyLossPercent !== undefined)
    stored.maxDailyLossPercent = attributes.maxDailyLossPercent;
  if (attributes.maxTotalLossPercent !== undefined)
    stored.maxTotalLossPercent = attributes.maxTotalLossPercent;
  if (attributes.minTradingDays !== undefined) stored.minTradingDays = attributes.minTradingDays;
  if (attributes.platform !== undefined) stored.platform = attributes.platform;
  if (attributes.trialDays !== undefined) stored.trialDays = attributes.trialDays;
  if (attributes.trialFamily !== undefined) stored.trialFamily = attributes.trialFamily;
  if (attributes.trialOncePerCustomer !== undefined)
    stored.trialOncePerCustomer = attributes.trialOncePerCustomer;
  if (attributes.trialRequiresPaymentMethod !== undefined)
    stored.trialRequiresPaymentMethod = attributes.trialRequiresPaymentMethod;
  if (attributes.trialOverage !== undefined) stored.trialOverage = attributes.trialOverage;
  if (attributes.dunning !== undefined) {
    const { retryDays, finalAction, pastDueAfterAttempts } = attributes.dunning;
    stored.dunning = {
      retryDays: [...retryDays],
      finalAction,
      ...(pastDueAfterAttempts !== undefined ? { pastDueAfterAttempts } : {}),
    };
  }
  return stored;
}

/** Rules that span fields, which the DTOs cannot express alone. */
function productRuleViolations(
  kind: ProductKind,
  attributes: ProductAttributes,
  prices: PriceInput[],
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const { phases, profitTargetPercent } = attributes;
  if (phases !== undefined && profitTargetPercent !== undefined && profitTargetPercent.length !== phases) {
    details.push({
      field: 'attributes.profitTargetPercent',
      message: `attributes.profitTargetPercent must have one target per phase (${phases}), got ${profitTargetPercent.length}`,
    });
  }
  // Checkout charges subscriptions as recurring payments and everything else once.
  prices.forEach((price, index) => {
    const recurring = price.recurring != null;
    if (kind === 'subscription' && !recurring) {
      details.push({
        field: `prices.${index}.recurring`,
        message: `prices.${index}.recurring is required for a subscription product`,
      });
    } else if (kind !== 'subscription' && recurring) {
      details.push({
        field: `prices.${index}.recurring`,
        message: `prices.${index}.recurring is only allowed on subscription products, not ${kind}`,
      });
    }
  });
  return details;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === constraint;
}

function samePrice(existing: Price, wanted: PriceInput): boolean {
  return (
    existing.unitAmount === wanted.unitAmount &&
    existing.recurringInterval === (wanted.recurring?.interval ?? null) &&
    existing.recurringIntervalCount === (wanted.recurring ? (wanted.recurring.intervalCount ?? 1) : null)
  );
}

/** The catalog: products and their per-currency prices. Other modules buy through getPurchasable. */
@Injectable()
export class CatalogService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Products with their active prices. With a currency (the web app), only products priced in it,
   * each with that one price, cheapest first within a kind. Archived products only on request.
   */
  async listProducts(
    query: { currency?: string; kind?: ProductKind; includeArchived?: boolean } = {},
  ): Promise<ProductView[]> {
    const where: FindOptionsWhere<Product> = {};
    if (query.kind) where.kind = query.kind;
    if (!query.includeArchived) where.status = 'active';
    const products = await this.dataSource.getRepository(Product).find({ where, order: { name: 'ASC' } });
    const prices = await this.activePrices(
      products.map((product) => product.id),
      query.currency,
    );
    const kindOrder = (kind: ProductKind): number => PRODUCT_KINDS.indexOf(kind);
    return (
      products
        .map((product) => toProductView(product, prices.get(product.id) ?? []))
        .filter((view) => !query.currency || view.prices.length > 0)
        // Kinds in catalog order; in one currency, cheapest first within a kind.
        .sort(
          (a, b) =>
            kindOrder(a.kind) - kindOrder(b.kind) ||
            (query.currency ? byUnitAmount(a.prices[0], b.prices[0]) : 0) ||
            a.name.localeCompare(b.name),
        )
    );
  }

  /** Staff listing: every product, archived included unless filtered, newest first. */
  async listProductPage(query: {
    limit: number;
    cursor?: string;
    kind?: ProductKind;
    status?: ProductStatus;
  }): Promise<Page<ProductDetails>> {
    const where: FindOptionsWhere<Product> = {};
    if (query.cursor) where.id = LessThan(query.cursor);
    if (query.kind) where.kind = query.kind;
    if (query.status) where.status = query.status;
    const rows = await this.dataSource
      .getRepository(Product)
      .find({ where, order: { id: 'DESC' }, take: query.limit + 1 });
    const prices = await this.activePrices(rows.slice(0, query.limit).map((product) => product.id));
    return toPage(rows, query.limit, (product) => toProductDetails(product, prices.get(product.id) ?? []));
  }

  async getProduct(id: string): Promise<ProductDetails> {
    const product = await this.dataSource.getRepository(Product).findOne({ where: { id } });
    if (!product) throw new NotFoundError('product', id);
    const prices = await this.activePrices([id]);
    return toProductDetails(product, prices.get(id) ?? []);
  }

  /**
   * The product and its active price in `currency`, for checkout. Pass the caller's manager to read
   * inside its transaction. 404 unknown, 409 PRODUCT_ARCHIVED, 422 CURRENCY_NOT_OFFERED.
   */
  async getPurchasable(
    productId: string,
    currency: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ product: Product; price: Price }> {
    const product = await manager.findOne(Product, { where: { id: productId } });
    if (!product) throw new NotFoundError('product', productId);
    if (product.status === 'archived') {
      throw new ConflictError(
        `product ${product.id} (${product.name}) is archived and can no longer be bought`,
        'PRODUCT_ARCHIVED',
      );
    }
    const prices = await manager.find(Price, {
      where: { productId, active: true },
      order: { currency: 'ASC' },
    });
    const price = prices.find((candidate) => candidate.currency === currency);
    if (!price) {
      const offered = prices.map((candidate) => candidate.currency).join(', ') || 'none';
      throw new AppError(
        422,
        'CURRENCY_NOT_OFFERED',
        `product ${product.id} has no price in ${currency}; offered: ${offered}`,
      );
    }
    return { product, price };
  }

  /** The ids of this list that name no product (archived ones exist). */
  async unknownProductIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = await this.dataSource
      .getRepository(Product)
      .find({ select: { id: true }, where: { id: In(ids) } });
    const known = new Set(found.map((product) => product.id));
    return ids.filter((id) => !known.has(id));
  }

  async createProduct(input: ProductInput, context: RequestContext): Promise<ProductDetails> {
    const attributes = storedAttributes(input.attributes);
    const violations = productRuleViolations(input.kind, attributes, input.prices);
    if (violations.length > 0) throw validationError(violations);
    const slug = input.slug ?? slugFromName(input.name);
    if (slug === '') {
      throw validationError([
        {
          field: 'slug',
          message: 'slug is required when the name has no letters or digits to derive it from',
        },
      ]);
    }
    try {
      return await this.dataSource.transaction((manager) =>
        this.insertProduct(manager, { ...input, slug, attributes }, context),
      );
    } catch (error) {
      if (isUniqueViolation(error, 'uq_products_slug')) {
        throw new ConflictError(`a product with slug ${slug} already exists; choose another slug`);
      }
      throw error;
    }
  }

  async updateProduct(id: string, changes: ProductChanges, context: RequestContext): Promise<ProductDetails> {
    return this.dataSource.transaction(async (manager) => {
      const product = await manager.findOne(Product, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!product) throw new NotFoundError('product', id);
      if (product.status === 'archived') {
        throw new ConflictError(`product ${id} is archived and cannot be changed`, 'PRODUCT_ARCHIVED');
      }
      const currentPrices = await manager.find(Price, { where: { productId: id, active: true } });
      const before = toProductDetails(product, currentPrices);
      const attributes = changes.attributes ? storedAttributes(changes.attributes) : product.attributes;
      const violations = productRuleViolations(product.kind, attributes, changes.prices ?? []);
      if (violations.length > 0) throw validationError(violations);

      const now = this.clock.now();
      if (changes.name !== undefined) product.name = changes.name;
      if (changes.description !== undefined) product.description = changes.description;
      product.attributes = attributes;
      product.updatedAt = now;
      await manager.update(
        Product,
        { id },
        {
          name: product.name,
          description: product.description,
          attributes: product.attributes,
          updatedAt: now,
        },
      );
      const activePrices = changes.prices
        ? await this.replacePrices(manager, id, currentPrices, changes.prices, now)
        : currentPrices;
      const after = toProductDetails(product, activePrices);
      await this.audit.record(manager, context, {
        action: 'product.updated',
        resourceType: 'product',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }

  /** Archived products stay for history (charges point at them) but cannot be bought or changed. */
  async archiveProduct(id: string, context: RequestContext): Promise<ProductDetails> {
    return this.dataSource.transaction(async (manager) => {
      const product = await manager.findOne(Product, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!product) throw new NotFoundError('product', id);
      if (product.status === 'archived') throw new ConflictError(`product ${id} is already archived`);
      const prices = await manager.find(Price, { where: { productId: id, active: true } });
      const before = toProductDetails(product, prices);
      product.status = 'archived';
      product.updatedAt = this.clock.now();
      await manager.update(Product, { id }, { status: product.status, updatedAt: product.updatedAt });
      const after = toProductDetails(product, prices);
      await this.audit.record(manager, context, {
        action: 'product.archived',
        resourceType: 'product',
        resourceId: id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }

  /**
   * Creates the demo catalog (demo-catalog.ts), matched by slug: missing products are created, a demo
   * product lacking one of its currencies gets that price, and nothing that exists is changed, so it
   * can run on every start. The demo coupons (WELCOME20) come with it. Concurrent runs (API and worker
   * starting together) queue on an advisory lock.
   */
  async seedDemoCatalog(context: RequestContext = SEED_CONTEXT): Promise<DemoCatalogReport> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SEED_LOCK]);
      const coupons = await insertMissingDemoCoupons(manager, this.audit, context, this.clock.now());
      const report: DemoCatalogReport = {
        productsCreated: [],
        pricesAdded: [],
        productsUnchanged: 0,
        couponsCreated: coupons.created,
        couponsUnchanged: coupons.unchanged,
      };
      for (const demo of DEMO_PRODUCTS) {
        const existing = await manager.findOne(Product, { where: { slug: demo.slug } });
        if (!existing) {
          report.productsCreated.push(await this.insertProduct(manager, demo, context));
          continue;
        }
        const prices = await manager.find(Price, { where: { productId: existing.id, active: true } });
        const offered = new Set(prices.map((price) => price.currency));
        const missing = demo.prices.filter((price) => !offered.has(price.currency));
        // Staff may have archived or repriced a demo product: that is theirs to keep.
        if (existing.status === 'archived' || missing.length === 0) {
          report.productsUnchanged += 1;
          continue;
        }
        const now = this.clock.now();
        const added = missing.map((price) => this.newPrice(existing.id, price, now));
        await manager.insert(Price, added);
        await manager.update(Product, { id: existing.id }, { updatedAt: now });
        await this.audit.record(manager, context, {
          action: 'product.updated',
          resourceType: 'product',
          resourceId: existing.id,
          before: { ...toProductDetails(existing, prices) },
          after: { ...toProductDetails({ ...existing, updatedAt: now }, [...prices, ...added]) },
        });
        report.pricesAdded.push(
          ...added.map((price) => ({
            slug: demo.slug,
            currency: price.currency,
            unitAmount: price.unitAmount,
          })),
        );
      }
      report.featuresCreated = await insertMissingDemoEntitlements(
        manager,
        this.audit,
        context,
        this.clock.now(),
      );
      return report;
    });
  }

  private async insertProduct(
    manager: EntityManager,
    input: ProductInput & { slug: string },
    context: RequestContext,
  ): Promise<ProductDetails> {
    const now = this.clock.now();
    const product = manager.create(Product, {
      id: newId('prd'),
      kind: input.kind,
      name: input.name,
      description: input.description ?? null,
      attributes: storedAttributes(input.attributes),
      slug: input.slug,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(Product, product);
    const prices = input.prices.map((price) => this.newPrice(product.id, price, now));
    await manager.insert(Price, prices);
    const details = toProductDetails(product, prices);
    await this.audit.record(manager, context, {
      action: 'product.created',
      resourceType: 'product',
      resourceId: product.id,
      after: { ...details },
    });
    return details;
  }

  /** Keeps unchanged prices, deactivates changed or dropped ones and inserts their replacements. */
  private async replacePrices(
    manager: EntityManager,
    productId: string,
    current: Price[],
    wanted: PriceInput[],
    now: Date,
  ): Promise<Price[]> {
    const kept = current.filter((price) =>
      wanted.some((input) => input.currency === price.currency && samePrice(price, input)),
    );
    const retired = current.filter((price) => !kept.includes(price));
    const added = wanted
      .filter((input) => !kept.some((price) => price.currency === input.currency))
      .map((input) => this.newPrice(productId, input, now));
    // Deactivate first: only one active price per product and currency may exist at any moment.
    if (retired.length > 0) {
      await manager.update(Price, { id: In(retired.map((price) => price.id)) }, { active: false });
    }
    if (added.length > 0) await manager.insert(Price, added);
    return [...kept, ...added];
  }

  private newPrice(productId: string, input: PriceInput, now: Date): Price {
    return this.dataSource.manager.create(Price, {
      id: newId('prc'),
      productId,
      currency: input.currency,
      unitAmount: input.unitAmount,
      recurringInterval: input.recurring?.interval ?? null,
      recurringIntervalCount: input.recurring ? (input.recurring.intervalCount ?? 1) : null,
      active: true,
      createdAt: now,
    });
  }

  /** Active prices by product id, optionally in one currency only. */
  private async activePrices(productIds: string[], currency?: string): Promise<Map<string, Price[]>> {
    const byProduct = new Map<string, Price[]>();
    if (productIds.length === 0) return byProduct;
    const where: FindOptionsWhere<Price> = { productId: In(productIds), active: true };
    if (currency) where.currency = currency;
    const prices = await this.dataSource.getRepository(Price).find({ where });
    for (const price of prices) {
      const list = byProduct.get(price.productId) ?? [];
      list.push(price);
      byProduct.set(price.productId, list);
    }
    return byProduct;
  }
}
