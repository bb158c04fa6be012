import type { ChargeView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import type { Charge } from './charge.entity';

/** Stripe tells us about payments; all of them act on the same record of ours, so order does not matter. */
export const STRIPE_ACTOR: RequestContext = {
  actor: { kind: 'system', name: 'stripe-webhooks' },
  requestId: null,
};

export function toChargeView(charge: Charge, couponCode: string | null = null): ChargeView {
  return {
    id: charge.id,
    userId: charge.userId,
    productId: charge.productId,
    amount: { amount: charge.amount, currency: charge.currency },
    amountRefunded: { amount: charge.amountRefunded, currency: charge.currency },
    status: charge.status,
    card:
      charge.cardLast4 || charge.cardBrand
        ? { brand: charge.cardBrand, last4: charge.cardLast4, country: charge.cardCountry }
        : null,
    riskLevel: charge.riskLevel,
    couponCode,
    invoiceId: charge.invoiceId,
    paidAt: charge.paidAt.toISOString(),
  };
}
