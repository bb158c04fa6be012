import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PaymentMethodView, PortalSessionView, SetupIntentView } from '@astrix/contracts';
import {
  CardDeclinedError,
  type PaymentProcessor,
  type ProcessorPaymentMethod,
  type ProcessorSetupIntent,
} from '@astrix/stripe-client';
import { AuditService } from '../../../platform/audit/audit.service';
import type { RequestContext } from '../../../platform/auth/actor';
import { AppConfig } from '../../../platform/config/app-config';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { newId } from '../../../platform/ids';
import { Customer } from './customer.entity';
import { CustomersService, isUnknownProcessorCustomer, type PayingUser } from './customers.service';
import {
  InjectPaymentProcessor,
  PaymentProcessorHost,
} from '../../../platform/payment-processor/payment-processor.provider';
import { InvoiceCollection } from '../collection/invoice-collection.service';

function toPaymentMethodView(method: ProcessorPaymentMethod, defaultId: string | null): PaymentMethodView {
  return {
    id: method.id,
    type: method.type,
    brand: method.card?.brand ?? null,
    last4: method.card?.last4 ?? null,
    expMonth: method.card?.expMonth ?? null,
    expYear: method.card?.expYear ?? null,
    isDefault: method.id === defaultId,
    createdAt: method.createdAt.toISOString(),
  };
}

/**
 * The cards a customer saved for renewals. They live at the processor; we keep which one is the
 * default, and a new default immediately retries whatever dunning is waiting on.
 */
@Injectable()
export class PaymentMethodsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly processorHost: PaymentProcessorHost,
    private readonly customers: CustomersService,
    private readonly collection: InvoiceCollection,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async list(user: PayingUser): Promise<PaymentMethodView[]> {
    const customer = await this.customers.findByUserId(user.userId);
    if (!customer?.stripeCustomerId) return [];
    let page;
    try {
      page = await this.processor.listPaymentMethods(customer.stripeCustomerId, { limit: 100 });
    } catch (error) {
      // A processor customer the processor no longer knows holds no cards; the next setup or
      // purchase links a new one.
      if (isUnknownProcessorCustomer(error, customer.stripeCustomerId)) return [];
      throw error;
    }
    return page.data.map((method) => toPaymentMethodView(method, customer.defaultPaymentMethodId));
  }

  /**
   * Starts saving a card for off-session use. With a `paymentMethodId` (sandbox and tests: a test
   * token such as pm_card_visa) it is confirmed at once; the first saved card becomes the default.
   * Without one, the browser confirms it: with Stripe.js and the `clientSecret` in live mode, on the
   * sandbox's hosted card page (`nextActionUrl`) otherwise; `setup_intent.succeeded` then makes
   * the card the default when the customer has none (onSetupSucceeded).
   */
  async createSetupIntent(
    user: PayingUser,
    paymentMethodId: string | undefined,
    context: RequestContext,
  ): Promise<SetupIntentView> {
    const found = await this.customers.getOrCreate(user);
    let customer = found;
    let intent;
    try {
      intent = await this.customers.withProcessorCustomer(
        found,
        context,
        async (stripeCustomerId, replaced) => {
          // A replaced processor customer lost its cards, and the default with them.
          if (replaced) customer = { ...found, stripeCustomerId, defaultPaymentMethodId: null };
          return this.processor.createSetupIntent(
            {
              customerId: stripeCustomerId,
              usage: 'off_session',
              ...(paymentMethodId
                ? {
                    paymentMethodId,
                    confirm: true,
                    returnUrl: `${this.config.publicUrl}/checkout/success`,
                  }
                : {}),
              metadata: { customerId: found.id },
            },
            `setup-intent:${found.id}:${newId('req')}`,
          );
        },
      );
    } catch (error) {
      if (error instanceof CardDeclinedError) {
        throw new AppError(402, 'CARD_DECLINED', `the card was declined: ${error.message}`, [
          { field: 'paymentMethodId', message: error.declineCode ?? 'declined' },
        ]);
      }
      throw error;
    }
    if (intent.status === 'succeeded' && intent.paymentMethodId && !customer.defaultPaymentMethodId) {
      await this.makeDefault(customer, intent.paymentMethodId, context);
    }
    return {
      id: intent.id,
      status: intent.status,
      // Stripe.js cannot reach the sandbox's fake Stripe; its hosted page stands in for it.
      clientSecret: this.processorHost.isSandbox ? null : intent.clientSecret,
      nextActionUrl:
        intent.nextActionUrl ??
        (intent.status === 'requires_payment_method'
          ? this.processorHost.sandboxSetupPageUrl(intent.id)
          : null),
    };
  }

  /**
   * A card saved in the browser (Stripe.js or the sandbox page) becomes the default for renewals
   * when the customer has none yet; replays and a default set meanwhile change nothing.
   * Returns whether the event concerned one of our customers.
   */
  async onSetupSucceeded(intent: ProcessorSetupIntent, context: RequestContext): Promise<boolean> {
    const ourId = intent.metadata.customerId;
    if (!ourId || !intent.paymentMethodId || !intent.customerId) return false;
    const customer = await this.dataSource.getRepository(Customer).findOne({ where: { id: ourId } });
    if (!customer || customer.stripeCustomerId !== intent.customerId) return false;
    const paymentMethodId = intent.paymentMethodId;
    const adopted = await this.dataSource.transaction(async (manager) => {
      if (!(await this.customers.adoptDefaultPaymentMethod(manager, customer.id, paymentMethodId)))
        return false;
      await this.audit.record(manager, context, {
        action: 'payment_method.default_set',
        resourceType: 'customer',
        resourceId: customer.id,
        before: { defaultPaymentMethodId: null },
        after: { defaultPaymentMethodId: paymentMethodId },
      });
      return true;
    });
    // A retry after the processor call failed finds the default already ours and repeats the call
    // (same idempotency key as makeDefault, so after the synchronous path it is a replay).
    if (!adopted && customer.defaultPaymentMethodId !== paymentMethodId) return true;
    await this.processor.setDefaultPaymentMethod(
      intent.customerId,
      paymentMethodId,
      `default-pm:${customer.id}:${paymentMethodId}`,
    );
    // Only the delivery that made the card the default retries unpaid invoices: a second attempt
    // right after the one makeDefault made would just be another decline on the trader's card.
    if (adopted) await this.collection.retryOpenInvoicesOf(customer.id);
    return true;
  }

  async setDefault(
    user: PayingUser,
    paymentMethodId: string,
    context: RequestContext,
  ): Promise<PaymentMethodView> {
    const customer = await this.customers.findByUserId(user.userId);
    const method = await this.ownedMethod(customer, paymentMethodId);
    await this.makeDefault(customer as Customer & { stripeCustomerId: string }, method.id, context);
    return toPaymentMethodView(method, method.id);
  }

  async remove(user: PayingUser, paymentMethodId: string, context: RequestContext): Promise<void> {
    const customer = await this.customers.findByUserId(user.userId);
    const method = await this.ownedMethod(customer, paymentMethodId);
    await this.processor.detachPaymentMethod(method.id, `detach:${method.id}`);
    await this.dataSource.transaction(async (manager) => {
      if (customer?.defaultPaymentMethodId === method.id) {
        await manager.update(Customer, { id: customer.id }, { defaultPaymentMethodId: null });
      }
      await this.audit.record(manager, context, {
        action: 'payment_method.removed',
        resourceType: 'customer',
        resourceId: customer?.id ?? '',
        after: { paymentMethodId: method.id },
      });
    });
  }

  async portalSession(
    user: PayingUser,
    returnUrl: string | undefined,
    context: RequestContext,
  ): Promise<PortalSessionView> {
    const customer = await this.customers.getOrCreate(user);
    const session = await this.customers.withProcessorCustomer(customer, context, (stripeCustomerId) =>
      this.processor.createBillingPortalSession(
        {
          customerId: stripeCustomerId,
          returnUrl: returnUrl ?? `${this.config.publicUrl}/`,
        },
        `portal:${customer.id}:${newId('req')}`,
      ),
    );
    return { url: session.url };
  }

  private async ownedMethod(
    customer: Customer | null,
    paymentMethodId: string,
  ): Promise<ProcessorPaymentMethod> {
    if (!customer?.stripeCustomerId) throw new NotFoundError('payment method', paymentMethodId);
    let method: ProcessorPaymentMethod;
    try {
      method = await this.processor.getPaymentMethod(paymentMethodId);
    } catch {
      throw new NotFoundError('payment method', paymentMethodId);
    }
    // Another customer's card looks exactly like one that does not exist.
    if (method.customerId !== customer.stripeCustomerId)
      throw new NotFoundError('payment method', paymentMethodId);
    return method;
  }

  private async makeDefault(
    customer: Customer & { stripeCustomerId: string },
    paymentMethodId: string,
    context: RequestContext,
  ): Promise<void> {
    await this.processor.setDefaultPaymentMethod(
      customer.stripeCustomerId,
      paymentMethodId,
      `default-pm:${customer.id}:${paymentMethodId}`,
    );
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Customer, { id: customer.id }, { defaultPaymentMethodId: paymentMethodId });
      await this.audit.record(manager, context, {
        action: 'payment_method.default_set',
        resourceType: 'customer',
        resourceId: customer.id,
        before: { defaultPaymentMethodId: customer.defaultPaymentMethodId },
        after: { defaultPaymentMethodId: paymentMethodId },
      });
    });
    // A new card is the moment to try again what failed on the old one.
    await this.collection.retryOpenInvoicesOf(customer.id);
  }
}
