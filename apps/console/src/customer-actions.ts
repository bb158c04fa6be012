import type { InvoiceView, SubscriptionView } from '@astrix/contracts';

/** Statuses a subscription can be paused from (SUBSCRIPTION_TRANSITIONS in @astrix/contracts). */
const PAUSABLE: readonly SubscriptionView['status'][] = ['trialing', 'active', 'past_due'];

/**
 * Which of pause and resume the API would accept for a subscription: pause from trialing, active or
 * past due unless a cancellation is scheduled (the API refuses that with a 409), resume when paused.
 */
export function pauseActionFor(
  subscription: Pick<SubscriptionView, 'status' | 'cancelAtPeriodEnd'>,
): 'pause' | 'resume' | null {
  if (subscription.status === 'paused') return 'resume';
  if (PAUSABLE.includes(subscription.status) && !subscription.cancelAtPeriodEnd) return 'pause';
  return null;
}

/** How each invoice stands to regeneration, from the invoices on the page. */
export type Regeneration =
  | { kind: 'regenerable' }
  | { kind: 'regenerated'; as: Pick<InvoiceView, 'id' | 'number'> }
  | { kind: 'none' };

/**
 * A voided subscription invoice may be regenerated once: it is offered unless one of `invoices`
 * already names it in `regeneratedFromInvoiceId` (the API refuses a second one with a 409 anyway,
 * which covers a replacement on a page not loaded).
 */
export function regenerationOf(
  invoice: Pick<InvoiceView, 'id' | 'status' | 'subscriptionId'>,
  invoices: ReadonlyArray<Pick<InvoiceView, 'id' | 'number' | 'regeneratedFromInvoiceId'>>,
): Regeneration {
  const replacement = invoices.find((other) => other.regeneratedFromInvoiceId === invoice.id);
  if (replacement) return { kind: 'regenerated', as: { id: replacement.id, number: replacement.number } };
  if (invoice.status === 'void' && invoice.subscriptionId !== null) return { kind: 'regenerable' };
  return { kind: 'none' };
}

/**
 * Corrected quantities for a regenerate, typed as `position=quantity` pairs separated by commas or
 * spaces (`1=2, 3=10`); empty means none. Throws an Error with a message to show for anything else
 * (the API checks the rest: lines that exist, are not discounted or prorated).
 */
export function parseLineCorrections(text: string): Array<{ position: number; quantity: number }> {
  const parts = text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return parts.map((part) => {
    const match = /^(\d{1,6})=(\d{1,7})$/.exec(part);
    if (!match) throw new Error(`"${part}" is not line=quantity (e.g. 1=2)`);
    const [position, quantity] = [Number(match[1]), Number(match[2])];
    if (position < 1 || quantity < 1) throw new Error(`"${part}": line and quantity start at 1`);
    return { position, quantity };
  });
}
