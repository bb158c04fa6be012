import type { InvoiceEventData } from '@astrix/contracts';
import type { Invoice } from './invoice.entity';

/** The data of every `billing.invoice.*` event, and the audit snapshot of an invoice. */
export function invoiceEventData(invoice: Invoice): InvoiceEventData {
  return {
    invoiceId: invoice.id,
    number: invoice.number,
    customerId: invoice.customerId,
    userId: invoice.userId,
    subscriptionId: invoice.subscriptionId,
    billingReason: invoice.billingReason,
    status: invoice.status,
    currency: invoice.currency,
    total: invoice.total,
    amountDue: invoice.amountDue,
    periodStart: invoice.periodStart?.toISOString() ?? null,
    periodEnd: invoice.periodEnd?.toISOString() ?? null,
    dueAt: invoice.dueAt?.toISOString() ?? null,
  };
}
