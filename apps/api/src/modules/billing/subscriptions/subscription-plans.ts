import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isCurrencyCode } from '@astrix/pricing';
import { AppConfig } from '../../../platform/config/app-config';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { Price } from '../catalog/price.entity';
import { Product } from '../catalog/product.entity';
import type { DunningPolicy } from '../collection/dunning-case.entity';
import type { SubscriptionInterval } from './subscription.entity';

/** A subscription product with its recurring price in one currency. */
export interface Plan {
  product: Product;
  price: Price;
  currency: string;
  unitAmount: number;
  interval: SubscriptionInterval;
  intervalCount: number;
  trialDays: number;
}

function unprocessable(field: string, message: string): AppError {
  return new AppError(422, 'UNPROCESSABLE', message, [{ field, message }]);
}

/** Reads plans out of the catalog and decides which dunning policy applies to them. */
@Injectable()
export class SubscriptionPlans {
  constructor(private readonly config: AppConfig) {}

  async resolve(manager: EntityManager, productId: string, currency: string): Promise<Plan> {
    const code = currency.toUpperCase();
    if (!isCurrencyCode(code))
      throw unprocessable('currency', `currency ${currency} is not an ISO 4217 code`);
    const product = await manager.findOne(Product, { where: { id: productId } });
    if (!product) throw new NotFoundError('product', productId);
    if (product.kind !== 'subscription') {
      throw unprocessable('productId', `product ${productId} is a ${product.kind}, not a subscription plan`);
    }
    if (product.status !== 'active') {
      throw unprocessable('productId', `plan ${productId} is archived and cannot be subscribed to`);
    }
    const price = await manager.findOne(Price, { where: { productId, currency: code, active: true } });
    if (!price || !price.recurringInterval) {
      throw unprocessable('currency', `plan ${productId} has no recurring price in ${code}`);
    }
    return {
      product,
      price,
      currency: code,
      unitAmount: price.unitAmount,
      interval: price.recurringInterval,
      intervalCount: price.recurringIntervalCount ?? 1,
      trialDays: product.attributes.trialDays ?? 0,
    };
  }

  /** The plan's own dunning, else the global one from configuration. */
  dunningPolicyFor(product: Pick<Product, 'attributes'> | null): DunningPolicy {
    const global = this.config.dunningPolicy;
    const own = product?.attributes.dunning;
    if (!own) return global;
    return {
      retryDays: own.retryDays,
      finalAction: own.finalAction,
      pastDueAfterAttempts: own.pastDueAfterAttempts ?? global.pastDueAfterAttempts,
    };
  }
}
