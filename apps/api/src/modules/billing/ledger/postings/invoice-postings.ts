import type { ProductKind } from '@astrix/contracts';
import { allocate, isPositive, isZero, subtract, sum, type Money } from '@astrix/pricing';
import { storedMoney } from '../../money';
import { revenueAccount, type RevenueKind } from '../chart-of-accounts';
import type { JournalEntryDraft } from '../journal.service';
import { line } from './posting-lines';

/** What an invoice posting reads of the invoice row. */
export interface InvoiceForPosting {
  id: string;
  customerId: string;
  currency: string;
  discount: number;
  tax: number;
  total: number;
  issuedAt: Date;
}

/** What an invoice posting reads of a line row. */
export interface InvoiceLineForPosting {
  kind: 'purchase' | 'plan' | 'proration_credit' | 'proration_charge' | 'usage';
  productId: string | null;
  amount: number;
  discount: number;
  /** The service period of a plan or proration line (recognition spreads it over this). */
  periodStart?: Date | null;
  periodEnd?: Date | null;
  /** The line's tax; when inclusive it sits inside `amount` and is not revenue. */
  tax?: number;
  taxInclusive?: boolean;
}

/** The part of a line's amount that is tax (inclusive tax), 0 when the tax is added on top. */
export function includedTax(invoiceLine: InvoiceLineForPosting): number {
  return invoiceLine.taxInclusive === true ? (invoiceLine.tax ?? 0) : 0;
}

/** What a line earns: amount − discount − the tax included in it. */
export function lineNetRevenue(invoiceLine: InvoiceLineForPosting): number {
  return invoiceLine.amount - invoiceLine.discount - includedTax(invoiceLine);
}

/** Whether a line's revenue is deferred (earned over time by a recognition schedule). */
export type IsDeferred = (invoiceLine: InvoiceLineForPosting) => boolean;

/** The kind of a product id as the catalog holds it (null when unknown). */
export type ProductKindOf = (productId: string | null) => ProductKind | null;

/**
 * The revenue kind of an invoice line: usage lines earn usage revenue; others their product's kind;
 * a line whose product the catalog no longer knows falls back by line kind (plan and proration lines
 * are subscription revenue, a purchase line an add-on).
 */
export function lineRevenueKind(invoiceLine: InvoiceLineForPosting, kindOf: ProductKindOf): RevenueKind {
  if (invoiceLine.kind === 'usage') return 'usage';
  const known = kindOf(invoiceLine.productId);
  if (known !== null) return known;
  return invoiceLine.kind === 'purchase' ? 'add_on' : 'subscription';
}

/**
 * `invoice.finalized`: the invoice leaves draft (issued open, or issued paid at checkout). Dr
 * accounts receivable the total (a negative total, a downgrade's credit, is a credit: we owe it, and
 * its balance transaction moves it to customer credit); per line Cr `revenue_<kind>` the amount (a
 * proration credit, negative, debits it) and Dr `discounts` its discount, both with the line's kind;
 * Cr tax payable the tax (inclusive tax is taken out of the line's revenue). A line earned over time (`isDeferred`, from the recognition policies)
 * credits `deferred_revenue` its net (amount − discount) instead; its schedule moves it to
 * revenue day by day.
 */
export function invoiceFinalizedEntry(
  invoice: InvoiceForPosting,
  lines: readonly InvoiceLineForPosting[],
  kindOf: ProductKindOf,
  isDeferred: IsDeferred = () => false,
): JournalEntryDraft {
  const amount = (units: number): Money => storedMoney(units, invoice.currency);
  return {
    sourceType: 'invoice',
    sourceId: invoice.id,
    event: 'invoice.finalized',
    occurredAt: invoice.issuedAt,
    customerId: invoice.customerId,
    lines: [
      line('accounts_receivable', 'debit', amount(invoice.total)),
      ...lines.flatMap((invoiceLine) => {
        const kind = lineRevenueKind(invoiceLine, kindOf);
        if (isDeferred(invoiceLine))
          return [
            line(
              'deferred_revenue',
              'credit',
              subtract(
                subtract(amount(invoiceLine.amount), amount(invoiceLine.discount)),
                amount(includedTax(invoiceLine)),
              ),
              { productKind: kind },
            ),
          ];
        return [
          line(
            revenueAccount(kind),
            'credit',
            subtract(amount(invoiceLine.amount), amount(includedTax(invoiceLine))),
            { productKind: kind },
          ),
          line('discounts', 'debit', amount(invoiceLine.discount), { productKind: kind }),
        ];
      }),
      line('tax_payable', 'credit', amount(invoice.tax)),
    ],
  };
}

/**
 * `invoice.written_off`: an open invoice marked uncollectible. Dr `bad_debt`, Cr accounts
 * receivable for what was still due (credit already spent on it stays spent).
 */
export function invoiceWrittenOffEntry(
  invoice: Pick<InvoiceForPosting, 'id' | 'customerId' | 'currency'>,
  amountDue: number,
  at: Date,
): JournalEntryDraft {
  const due = storedMoney(amountDue, invoice.currency);
  return {
    sourceType: 'invoice',
    sourceId: invoice.id,
    event: 'invoice.written_off',
    occurredAt: at,
    customerId: invoice.customerId,
    lines: [line('bad_debt', 'debit', due), line('accounts_receivable', 'credit', due)],
  };
}

/**
 * `invoice.write_off_recovered`: a written-off invoice is paid late. The write-off is undone (Dr
 * accounts receivable, Cr `bad_debt`) so the payment's charge settles the receivable as usual.
 */
export function invoiceWriteOffRecoveredEntry(
  invoice: Pick<InvoiceForPosting, 'id' | 'customerId' | 'currency'>,
  amountPaid: number,
  at: Date,
): JournalEntryDraft {
  const paid = storedMoney(amountPaid, invoice.currency);
  return {
    sourceType: 'invoice',
    sourceId: invoice.id,
    event: 'invoice.write_off_recovered',
    occurredAt: at,
    customerId: invoice.customerId,
    lines: [line('accounts_receivable', 'debit', paid), line('bad_debt', 'credit', paid)],
  };
}

/** What a credit-note posting reads of the note row. */
export interface CreditNoteForPosting {
  id: string;
  invoiceId: string;
  refundId: string | null;
  amount: number;
  /** The tax inside `amount`: no longer owed to the tax authority. */
  tax?: number;
  currency: string;
  issuedAt: Date;
}

/**
 * `credit_note.issued`: Dr `refunds` the note net of its tax, Dr `tax_payable` its tax, Cr accounts
 * receivable the note. The `refunds` line is split over the
 * product kinds of the invoice's lines in proportion to what each line charged (amount − discount;
 * lines that charged nothing or less take none), so the revenue report nets it per kind. With a
 * refund, the refund's settlement then takes the receivable back out of processor clearing; without
 * one (staff credit, settled outside the processor) the receivable stays credited: an open invoice
 * owes that much less, a paid one leaves the customer's receivable negative (we owe it) until
 * finance settles it outside the app — the app neither credits the balance nor pays it back.
 */
export function creditNoteIssuedEntry(
  note: CreditNoteForPosting,
  invoice: Pick<InvoiceForPosting, 'customerId'>,
  invoiceLines: readonly InvoiceLineForPosting[],
  kindOf: ProductKindOf,
): JournalEntryDraft {
  const gross = storedMoney(note.amount, note.currency);
  const tax = storedMoney(note.tax ?? 0, note.currency);
  // What is given back of revenue: the note net of the tax inside it.
  const amount = subtract(gross, tax);
  const charged = invoiceLines.map((invoiceLine) => ({
    kind: lineRevenueKind(invoiceLine, kindOf),
    net: subtract(
      storedMoney(invoiceLine.amount, note.currency),
      storedMoney(invoiceLine.discount, note.currency),
    ),
  }));
  const weights = charged.map((share) => (isPositive(share.net) ? share.net : storedMoney(0, note.currency)));
  const byKind = new Map<RevenueKind | null, Money[]>();
  if (weights.every(isZero)) {
    byKind.set(null, [amount]);
  } else {
    allocate(
      amount,
      weights.map((weight) => weight.amountMinor),
    ).forEach((share, index) =>
      byKind.set(charged[index].kind, [...(byKind.get(charged[index].kind) ?? []), share]),
    );
  }
  return {
    sourceType: 'credit_note',
    sourceId: note.id,
    event: 'credit_note.issued',
    occurredAt: note.issuedAt,
    customerId: invoice.customerId,
    memo: note.refundId ? `invoice ${note.invoiceId}, refund ${note.refundId}` : `invoice ${note.invoiceId}`,
    lines: [
      ...[...byKind].map(([kind, shares]) =>
        line('refunds', 'debit', sum(shares, amount.currency), { productKind: kind }),
      ),
      line('tax_payable', 'debit', tax),
      line('accounts_receivable', 'credit', gross),
    ],
  };
}
