import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { CustomerFraudStatus } from '@astrix/contracts';
import { type PaymentProcessor, ResourceNotFoundError } from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { newId } from '../../../platform/ids';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { Customer } from './customer.entity';

export interface PayingUser {
  userId: string;
  email: string | null;
}

/** Customers are created on first purchase and linked to one processor customer, exactly once. */
@Injectable()
export class CustomersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Fraud's verdict on the customer's standing, written in the caller's transaction (fraud decides it). */
  async setFraudStatus(
    manager: EntityManager,
    customerId: string,
    fraudStatus: CustomerFraudStatus,
  ): Promise<void> {
    await manager.update(Customer, { id: customerId }, { fraudStatus });
  }

  /**
   * A card saved while paying (a subscription bought at checkout) becomes the default for renewals
   * when the customer has none, in the caller's transaction; returns whether it did.
   */
  async adoptDefaultPaymentMethod(
    manager: EntityManager,
    customerId: string,
    paymentMethodId: string,
  ): Promise<boolean> {
    const result = await manager.update(
      Customer,
      { id: customerId, defaultPaymentMethodId: IsNull() },
      { defaultPaymentMethodId: paymentMethodId },
    );
    return (result.affected ?? 0) > 0;
  }

  async findByUserId(userId: string): Promise<Customer | null> {
    return this.dataSource.getRepository(Customer).findOne({ where: { userId } });
  }

  /** The caller's customer with its processor customer, creating either when missing. */
  async getOrCreate(user: PayingUser): Promise<Customer & { stripeCustomerId: string }> {
    await this.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO NOTHING`,
      [newId('cust'), user.userId, user.email, this.clock.now()],
    );
    const existing = await this.dataSource
      .getRepository(Customer)
      .findOneOrFail({ where: { userId: user.userId } });
    if (existing.stripeCustomerId) return existing as Customer & { stripeCustomerId: string };

    // Concurrent first purchases queue on the row lock; the idempotency key makes even a crash
    // between the processor call and our commit yield one processor customer.
    return this.dataSource.transaction(async (manager) => {
      const customer = await manager.findOneOrFail(Customer, {
        where: { id: existing.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (customer.stripeCustomerId) return customer as Customer & { stripeCustomerId: string };
      const created = await this.processor.createCustomer(
        {
          ...(user.email ? { email: user.email } : {}),
          metadata: { customerId: customer.id, userId: customer.userId },
        },
        `customer:${customer.id}`,
      );
      await manager.update(Customer, { id: customer.id }, { stripeCustomerId: created.id });
      return { ...customer, stripeCustomerId: created.id };
    });
  }

  /**
   * Runs a processor call made for the customer. When the processor answers that it does not know
   * the customer (the sandbox's fake Stripe restarted with empty memory; a live account switched or
   * cleaned), a new processor customer is created and linked once, and the call runs again with it
   * (`replaced` true, so it can use a fresh idempotency key).
   */
  async withProcessorCustomer<T>(
    customer: Customer & { stripeCustomerId: string },
    context: RequestContext,
    call: (stripeCustomerId: string, replaced: boolean) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(customer.stripeCustomerId, false);
    } catch (error) {
      if (!isUnknownProcessorCustomer(error, customer.stripeCustomerId)) throw error;
      const replacement = await this.replaceProcessorCustomer(
        customer.id,
        customer.stripeCustomerId,
        context,
      );
      return call(replacement, true);
    }
  }

  /**
   * Links a new processor customer in place of one the processor no longer knows; returns the
   * linked id. Concurrent callers queue on the row lock and all get the one replacement; the
   * idempotency key makes a crash between the processor call and our commit yield one too. The
   * default card lived on the lost customer, so renewals stop trying it.
   */
  async replaceProcessorCustomer(
    customerId: string,
    missingStripeCustomerId: string,
    context: RequestContext,
  ): Promise<string> {
    return this.dataSource.transaction(async (manager) => {
      const customer = await manager.findOneOrFail(Customer, {
        where: { id: customerId },
        lock: { mode: 'pessimistic_write' },
      });
      if (customer.stripeCustomerId && customer.stripeCustomerId !== missingStripeCustomerId) {
        return customer.stripeCustomerId;
      }
      const created = await this.processor.createCustomer(
        {
          ...(customer.email ? { email: customer.email } : {}),
          metadata: { customerId: customer.id, userId: customer.userId },
        },
        `customer:${customer.id}:replacing:${missingStripeCustomerId}`,
      );
      await manager.update(
        Customer,
        { id: customer.id },
        { stripeCustomerId: created.id, defaultPaymentMethodId: null },
      );
      await this.audit.record(manager, context, {
        action: 'customer.processor_customer_replaced',
        resourceType: 'customer',
        resourceId: customer.id,
        before: {
          stripeCustomerId: missingStripeCustomerId,
          defaultPaymentMethodId: customer.defaultPaymentMethodId,
        },
        after: { stripeCustomerId: created.id, defaultPaymentMethodId: null },
      });
      return created.id;
    });
  }
}

/** Stripe's `resource_missing` about this very customer ("No such customer: 'cus_…'"). */
export function isUnknownProcessorCustomer(error: unknown, stripeCustomerId: string): boolean {
  return error instanceof ResourceNotFoundError && error.message.includes(`'${stripeCustomerId}'`);
}
