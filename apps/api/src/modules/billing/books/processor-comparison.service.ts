import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ResourceNotFoundError,
  type PaymentProcessor,
  type ProcessorCharge,
  type ProcessorPage,
} from '@astrix/stripe-client';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import {
  compareWithProcessor,
  type BookedCharge,
  type BooksFinding,
  type ProcessorPaymentRecord,
} from './books-findings';

const PAGE_SIZE = 100;

interface BookedChargeRow {
  id: string;
  stripe_charge_id: string | null;
  stripe_payment_intent_id: string | null;
  amount: string;
  amount_refunded: string;
  currency: string;
  invoice_id: string | null;
  has_pending_refund: boolean;
  to_verify: boolean;
}

/**
 * Our rows against the processor's own records: payments Stripe holds for our customers that our
 * books lack, our charges Stripe never took, refund totals that disagree. Reads only.
 */
@Injectable()
export class ProcessorComparison {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
  ) {}

  /** Reads the processor's charges, payment intents and refunds since a time and compares them with our rows. */
  async findings(since: Date): Promise<BooksFinding[]> {
    const [charges, intents, refunds] = await Promise.all([
      readAll((cursor) => this.processor.listCharges({ createdSince: since, limit: PAGE_SIZE, cursor })),
      readAll((cursor) =>
        this.processor.listPaymentIntents({ createdSince: since, limit: PAGE_SIZE, cursor }),
      ),
      readAll((cursor) => this.processor.listRefunds({ createdSince: since, limit: PAGE_SIZE, cursor })),
    ]);

    const processorCustomers = [
      ...new Set([...charges, ...intents].map((item) => item.customerId).filter(isPresent)),
    ];
    const ourCustomers = new Set(
      (
        (await this.dataSource.query(
          `SELECT stripe_customer_id FROM billing.customers WHERE stripe_customer_id = ANY($1::text[])`,
          [processorCustomers],
        )) as Array<{ stripe_customer_id: string }>
      ).map((row) => row.stripe_customer_id),
    );
    const invoiceOfIntent = new Map(
      intents.map((intent) => [intent.id, intent.metadata.invoiceId ?? null] as const),
    );
    const payments = new Map<string, ProcessorPaymentRecord>();
    const addPayment = (charge: ProcessorCharge): void => {
      payments.set(charge.id, {
        chargeId: charge.id,
        paymentIntentId: charge.paymentIntentId,
        succeeded: charge.status === 'succeeded',
        amount: charge.amountMinor,
        amountRefunded: charge.amountRefundedMinor,
        currency: charge.currency,
        invoiceId:
          (charge.paymentIntentId ? invoiceOfIntent.get(charge.paymentIntentId) : null) ??
          charge.metadata.invoiceId ??
          null,
      });
    };
    for (const charge of charges) {
      if (charge.customerId && ourCustomers.has(charge.customerId)) addPayment(charge);
    }
    // A succeeded intent always has its charge; one created before the window is read on its own.
    const listedIntents = new Set([...payments.values()].map((payment) => payment.paymentIntentId));
    const intentCharges = intents
      .filter(
        (intent) => intent.status === 'succeeded' && intent.customerId && ourCustomers.has(intent.customerId),
      )
      .filter((intent) => !listedIntents.has(intent.id) && intent.latestChargeId)
      .map((intent) => intent.latestChargeId as string);

    // Refunds in the window of charges created before it.
    const refundCharges = [...new Set(refunds.map((refund) => refund.chargeId).filter(isPresent))].filter(
      (chargeId) => !payments.has(chargeId),
    );

    const booked = await this.bookedCharges(
      [...payments.keys(), ...refundCharges, ...intentCharges],
      [...payments.values()].map((payment) => payment.paymentIntentId).filter(isPresent),
      since,
    );
    const bookedChargeIds = new Set(booked.map((charge) => charge.stripeChargeId).filter(isPresent));
    for (const chargeId of [...new Set([...intentCharges, ...refundCharges])]) {
      // Only ours: an intent of our customer, or a refund of a charge our books hold.
      if (intentCharges.includes(chargeId) || bookedChargeIds.has(chargeId)) {
        const charge = await this.processorCharge(chargeId);
        if (charge) addPayment(charge);
      }
    }
    // Our charges of the window the listing did not show: asked one by one (rare: a clock skew, or missing).
    const listedCharges = new Set(payments.keys());
    const listedIntentIds = new Set([...payments.values()].map((payment) => payment.paymentIntentId));
    const toVerify = booked.filter((charge) => charge.toVerify);
    for (const charge of toVerify) {
      if (charge.stripeChargeId && listedCharges.has(charge.stripeChargeId)) continue;
      if (charge.stripePaymentIntentId && listedIntentIds.has(charge.stripePaymentIntentId)) continue;
      const found = await this.processorChargeOf(charge);
      if (found) addPayment(found);
    }
    return compareWithProcessor({
      processorPayments: [...payments.values()],
      bookedCharges: booked,
      chargesToVerify: toVerify.map((charge) => charge.id),
    });
  }

  /** Our charges the processor payments point to, and every charge of ours paid in the window. */
  private async bookedCharges(
    processorChargeIds: string[],
    paymentIntentIds: string[],
    since: Date,
  ): Promise<Array<BookedCharge & { toVerify: boolean }>> {
    const rows: BookedChargeRow[] = await this.dataSource.query(
      `SELECT c.id, c.stripe_charge_id, c.stripe_payment_intent_id, c.amount::text AS amount,
              c.amount_refunded::text AS amount_refunded, c.currency, c.invoice_id,
              EXISTS (SELECT 1 FROM billing.refunds r WHERE r.charge_id = c.id AND r.status = 'pending')
                AS has_pending_refund,
              (c.paid_at >= $3 AND (c.stripe_charge_id IS NOT NULL OR c.stripe_payment_intent_id IS NOT NULL))
                AS to_verify
         FROM billing.charges c
        WHERE c.stripe_charge_id = ANY($1::text[])
           OR c.stripe_payment_intent_id = ANY($2::text[])
           OR (c.paid_at >= $3 AND (c.stripe_charge_id IS NOT NULL OR c.stripe_payment_intent_id IS NOT NULL))`,
      [processorChargeIds, paymentIntentIds, since],
    );
    return rows.map((row) => ({
      id: row.id,
      stripeChargeId: row.stripe_charge_id,
      stripePaymentIntentId: row.stripe_payment_intent_id,
      amount: Number(row.amount),
      amountRefunded: Number(row.amount_refunded),
      currency: row.currency,
      invoiceId: row.invoice_id,
      hasPendingRefund: row.has_pending_refund,
      toVerify: row.to_verify,
    }));
  }

  private async processorChargeOf(charge: BookedCharge): Promise<ProcessorCharge | null> {
    if (charge.stripeChargeId) return this.processorCharge(charge.stripeChargeId);
    if (!charge.stripePaymentIntentId) return null;
    try {
      const intent = await this.processor.getPaymentIntent(charge.stripePaymentIntentId);
      return intent.latestChargeId ? this.processorCharge(intent.latestChargeId) : null;
    } catch (error) {
      if (error instanceof ResourceNotFoundError) return null;
      throw error;
    }
  }

  private async processorCharge(chargeId: string): Promise<ProcessorCharge | null> {
    try {
      return await this.processor.getCharge(chargeId);
    } catch (error) {
      if (error instanceof ResourceNotFoundError) return null;
      throw error;
    }
  }
}

/** Every page of a processor list, following its cursor. */
async function readAll<T>(read: (cursor: string | undefined) => Promise<ProcessorPage<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.data);
    cursor = page.hasMore && page.nextCursor ? page.nextCursor : undefined;
  } while (cursor !== undefined);
  return items;
}

function isPresent<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
