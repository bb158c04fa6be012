/** What a card does when charged, mirroring Stripe's documented test cards. */
export type CardBehaviour =
  | { kind: 'succeeds' }
  | { kind: 'declined'; declineCode: string; message: string }
  | { kind: 'blocked_by_radar' }
  | { kind: 'requires_authentication' }
  | { kind: 'disputed_after_success' }
  | { kind: 'early_fraud_warning_after_success' }
  | { kind: 'settles_asynchronously'; succeeds: boolean };

export interface TestCard {
  /** What to type on the hosted page or send to the sandbox pay endpoint. */
  number: string;
  /** Stripe-style test payment method token accepted wherever a payment method id is. */
  paymentMethodToken: string;
  description: string;
  brand: string;
  last4: string;
  country: string;
  funding: string;
  riskLevel: 'normal' | 'elevated' | 'highest';
  riskScore: number;
  behaviour: CardBehaviour;
}

function visa(
  number: string,
  paymentMethodToken: string,
  description: string,
  behaviour: CardBehaviour,
  risk: Pick<TestCard, 'riskLevel' | 'riskScore'> = { riskLevel: 'normal', riskScore: 20 },
): TestCard {
  return {
    number,
    paymentMethodToken,
    description,
    brand: 'visa',
    // The async tokens are not card numbers; show them as a generic card.
    last4: /^\d+$/.test(number) ? number.slice(-4) : '0000',
    country: 'US',
    funding: 'credit',
    behaviour,
    ...risk,
  };
}

export const TEST_CARDS: readonly TestCard[] = [
  visa('4242424242424242', 'pm_card_visa', 'Succeeds', { kind: 'succeeds' }),
  visa('4000000000000002', 'pm_card_chargeDeclined', 'Declined (generic_decline)', {
    kind: 'declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  }),
  visa('4000000000009995', 'pm_card_chargeDeclinedInsufficientFunds', 'Declined (insufficient_funds)', {
    kind: 'declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  }),
  visa('4000000000003220', 'pm_card_threeDSecure2Required', 'Requires 3-D Secure', {
    kind: 'requires_authentication',
  }),
  visa('4000000000000259', 'pm_card_createDispute', 'Succeeds, then a dispute is opened', {
    kind: 'disputed_after_success',
  }),
  visa(
    '4000000000005423',
    'pm_card_createIssuerFraudRecord',
    'Succeeds, then an early fraud warning is created',
    { kind: 'early_fraud_warning_after_success' },
  ),
  visa(
    '4000000000009235',
    'pm_card_riskLevelElevated',
    'Succeeds with elevated Radar risk',
    { kind: 'succeeds' },
    { riskLevel: 'elevated', riskScore: 72 },
  ),
  visa(
    '4100000000000019',
    'pm_card_radarBlock',
    'Blocked by Radar (highest risk)',
    { kind: 'blocked_by_radar' },
    { riskLevel: 'highest', riskScore: 95 },
  ),
  visa('async_success', 'pm_async_success', 'Asynchronous payment that succeeds', {
    kind: 'settles_asynchronously',
    succeeds: true,
  }),
  visa('async_fail', 'pm_async_fail', 'Asynchronous payment that fails', {
    kind: 'settles_asynchronously',
    succeeds: false,
  }),
];

/** Finds a test card by number (spaces and dashes ignored) or by payment method token. */
export function findTestCard(numberOrToken: string): TestCard | undefined {
  const normalized = numberOrToken.replace(/[\s-]/g, '');
  return TEST_CARDS.find((card) => card.number === normalized || card.paymentMethodToken === normalized);
}
