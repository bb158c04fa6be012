import type { InvoiceStatus } from './invoice.entity';
import { acceptsPayment, INVOICE_STATUSES, invoiceTransition } from './invoice-status';

const ALLOWED: ReadonlyArray<readonly [InvoiceStatus, InvoiceStatus]> = [
  ['draft', 'open'],
  ['open', 'paid'],
  ['open', 'void'],
  ['open', 'uncollectible'],
  ['uncollectible', 'paid'],
];

const EVERY_PAIR = INVOICE_STATUSES.flatMap((from) => INVOICE_STATUSES.map((to) => [from, to] as const));

describe('invoice state machine', () => {
  it('knows the five statuses', () => {
    expect([...INVOICE_STATUSES].sort()).toEqual(['draft', 'open', 'paid', 'uncollectible', 'void']);
  });

  it.each(EVERY_PAIR)('%s → %s', (from, to) => {
    const expected = ALLOWED.some(([a, b]) => a === from && b === to);
    const decision = invoiceTransition(from, to);
    expect(decision.allowed).toBe(expected);
    if (!decision.allowed) expect(decision.reason).toContain(from);
  });

  it('marks only uncollectible → paid as a late payment', () => {
    expect(invoiceTransition('uncollectible', 'paid')).toEqual({ allowed: true, late: true });
    expect(invoiceTransition('open', 'paid')).toEqual({ allowed: true, late: false });
  });

  it('says paid and void are final', () => {
    expect(invoiceTransition('paid', 'open')).toEqual({
      allowed: false,
      reason: 'a paid invoice is final: it cannot become open',
    });
    expect(invoiceTransition('void', 'paid')).toEqual({
      allowed: false,
      reason: 'a void invoice is final: it cannot become paid',
    });
  });

  it('accepts money only for open and uncollectible invoices', () => {
    expect(INVOICE_STATUSES.filter(acceptsPayment).sort()).toEqual(['open', 'uncollectible']);
  });
});
