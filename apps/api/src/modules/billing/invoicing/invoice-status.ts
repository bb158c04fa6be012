import type { InvoiceStatus } from './invoice.entity';

/**
 * The invoice state machine: `draft → open`, `open → paid | void | uncollectible`, and
 * `uncollectible → paid` (a late payment of a written-off invoice, recorded as such). Paid and void
 * are final. Everything else is refused (409 at the edge).
 */
export const INVOICE_TRANSITIONS: { readonly [From in InvoiceStatus]: readonly InvoiceStatus[] } = {
  draft: ['open'],
  open: ['paid', 'void', 'uncollectible'],
  uncollectible: ['paid'],
  paid: [],
  void: [],
};

export const INVOICE_STATUSES = Object.keys(INVOICE_TRANSITIONS) as InvoiceStatus[];

export type InvoiceTransition = { allowed: true; late: boolean } | { allowed: false; reason: string };

/** Whether an invoice may move from `from` to `to`; `late` when money arrives for a written-off invoice. */
export function invoiceTransition(from: InvoiceStatus, to: InvoiceStatus): InvoiceTransition {
  if (INVOICE_TRANSITIONS[from].includes(to)) {
    return { allowed: true, late: from === 'uncollectible' && to === 'paid' };
  }
  const next = INVOICE_TRANSITIONS[from];
  return {
    allowed: false,
    reason:
      next.length === 0
        ? `a ${from} invoice is final: it cannot become ${to}`
        : `a ${from} invoice can only become ${next.join(' or ')}, not ${to}`,
  };
}

/** Whether money received for an invoice in this status settles it (otherwise it is paid back). */
export function acceptsPayment(status: InvoiceStatus): boolean {
  return invoiceTransition(status, 'paid').allowed;
}
