import { convert, money, parseCurrencyCode } from '@astrix/pricing';
import type { InvoiceLineView, InvoiceView } from '@astrix/contracts';
import type { InvoiceLine } from './invoice-line.entity';
import type { Invoice } from './invoice.entity';
import { REVERSE_CHARGE_NOTE } from '../tax/tax-decision';

export function toInvoiceLineView(line: InvoiceLine, currency: string): InvoiceLineView {
  return {
    description: line.description,
    quantity: line.quantity,
    unitAmount: { amount: line.unitAmount, currency },
    amount: { amount: line.amount, currency },
    discount: { amount: line.discount, currency },
    tax: { amount: line.tax, currency },
    kind: line.kind,
    periodStart: line.periodStart?.toISOString() ?? null,
    periodEnd: line.periodEnd?.toISOString() ?? null,
    taxRate:
      line.taxPercentage === null ? null : { percentage: line.taxPercentage, inclusive: line.taxInclusive },
  };
}

/** `lines` are the invoice's own lines, in any order: the view lists them by position. */
export function toInvoiceView(invoice: Invoice, lines: InvoiceLine[]): InvoiceView {
  return {
    id: invoice.id,
    number: invoice.number,
    status: invoice.status,
    userId: invoice.userId,
    chargeId: invoice.chargeId,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    discount: invoice.discount,
    tax: invoice.tax,
    total: invoice.total,
    amountPaid: invoice.amountPaid,
    lines: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((line) => toInvoiceLineView(line, invoice.currency)),
    seller: { name: invoice.seller.name, address: invoice.seller.address, taxId: invoice.seller.taxId },
    customer: { userId: invoice.userId, email: invoice.customerEmail },
    issuedAt: invoice.issuedAt.toISOString(),
    paidAt: invoice.paidAt?.toISOString() ?? null,
    billingReason: invoice.billingReason,
    subscriptionId: invoice.subscriptionId,
    periodStart: invoice.periodStart?.toISOString() ?? null,
    periodEnd: invoice.periodEnd?.toISOString() ?? null,
    creditApplied: invoice.creditApplied,
    amountDue: invoice.amountDue,
    actionUrl: invoice.actionUrl,
    regeneratedFromInvoiceId: invoice.regeneratedFromInvoiceId ?? null,
    taxDetails:
      invoice.taxTreatment === null
        ? null
        : {
            treatment: invoice.taxTreatment,
            country: invoice.taxCountry,
            region: invoice.taxRegion,
            customerVatId: invoice.customerVatId,
            note: invoice.taxTreatment === 'reverse_charge' ? REVERSE_CHARGE_NOTE : null,
          },
    reporting: reportingView(invoice),
  };
}

/** The invoice's total and tax converted with its own FX snapshot (@astrix/pricing's convert). */
function reportingView(invoice: Invoice): InvoiceView['reporting'] {
  if (invoice.fxRate === null || invoice.reportingCurrency === null || invoice.fxAsOf === null) return null;
  const snapshot = {
    from: parseCurrencyCode(invoice.currency),
    to: parseCurrencyCode(invoice.reportingCurrency),
    rate: invoice.fxRate,
    source: invoice.fxSource ?? 'unknown',
    asOf: invoice.fxAsOf,
  };
  const inReporting = (amount: number): number =>
    convert(money(amount, snapshot.from), snapshot).amount.amountMinor;
  return {
    currency: snapshot.to,
    total: inReporting(invoice.total),
    tax: inReporting(invoice.tax),
    rate: snapshot.rate,
    source: snapshot.source,
    asOf: snapshot.asOf.toISOString(),
  };
}
