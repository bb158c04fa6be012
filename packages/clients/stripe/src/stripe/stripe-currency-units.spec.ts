import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { InvalidRequestError } from '../port/errors';
import { type Harness, startHarness } from '../testing/harness';

// Amounts cross the Stripe boundary in Stripe's units: the port speaks ISO 4217 minor units, the
// fake Stripe (like Stripe) stores Stripe's. `harness.fake.state` shows what Stripe was asked for.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterEach(() => harness.reset());
afterAll(() => harness.close());

const key = (): string => `units-${randomUUID()}`;

async function refusal(promise: Promise<unknown>): Promise<InvalidRequestError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof InvalidRequestError))
    throw new Error(`expected an InvalidRequestError, got ${String(error)}`);
  return error;
}

async function pay(amountMinor: number, currency: string) {
  return harness.processor.createPaymentIntent(
    { amountMinor, currency, paymentMethodId: 'pm_card_visa', confirm: true },
    key(),
  );
}

describe('Stripe units at the boundary', () => {
  it('charges Ar 500 (ISO: 50000 minor units, 2 decimals) as 500 at Stripe, where MGA is zero-decimal', async () => {
    const intent = await pay(50_000, 'MGA');
    expect(harness.fake.state.paymentIntents.get(intent.id)?.amount).toBe(500);
    expect(intent).toMatchObject({ amountMinor: 50_000, amountReceivedMinor: 50_000, currency: 'MGA' });
    const charge = await harness.processor.getCharge(intent.latestChargeId ?? '');
    expect(charge.amountMinor).toBe(50_000);
  });

  it('refuses a fraction of an ariary, which Stripe cannot charge', async () => {
    const error = await refusal(pay(50_050, 'MGA'));
    expect(error.message).toBe(
      'MGA 500.50 cannot be charged through Stripe: MGA is zero-decimal at Stripe (whole units only)',
    );
    expect(error.param).toBe('amount');
    expect(harness.fake.state.paymentIntents.all()).toHaveLength(0);
  });

  it('sends ISK 5 (ISO zero-decimal) as 500, Stripe\u2019s two-decimal form, and reads it back as 5', async () => {
    const intent = await pay(5, 'ISK');
    expect(harness.fake.state.paymentIntents.get(intent.id)?.amount).toBe(500);
    expect(intent.amountMinor).toBe(5);
  });

  it('keeps JPY and USD as they are', async () => {
    const yen = await pay(500, 'JPY');
    const dollars = await pay(1_999, 'USD');
    expect(harness.fake.state.paymentIntents.get(yen.id)?.amount).toBe(500);
    expect(harness.fake.state.paymentIntents.get(dollars.id)?.amount).toBe(1_999);
  });

  it('charges KWD 5.120 but refuses KWD 5.124: Stripe requires the last digit 0', async () => {
    const intent = await pay(5_120, 'KWD');
    expect(harness.fake.state.paymentIntents.get(intent.id)?.amount).toBe(5_120);
    const error = await refusal(pay(5_124, 'KWD'));
    expect(error.message).toBe(
      'KWD 5.124 cannot be charged through Stripe: Stripe requires the last digit of a KWD amount to be 0',
    );
  });

  it('charges HUF with fillér (two-decimal payments) and UGX as zero-decimal', async () => {
    const forint = await pay(10_045, 'HUF');
    const shilling = await pay(5_000, 'UGX');
    expect(harness.fake.state.paymentIntents.get(forint.id)?.amount).toBe(10_045);
    expect(harness.fake.state.paymentIntents.get(shilling.id)?.amount).toBe(5_000);
  });

  it('refuses a currency Stripe does not support before calling it', async () => {
    const error = await refusal(pay(1_000, 'XXX'));
    expect(error.message).toBe('Stripe does not support the currency XXX');
  });

  it('converts checkout line items and refunds the same way', async () => {
    const session = await harness.processor.createCheckoutSession(
      {
        mode: 'payment',
        lineItems: [{ name: 'Evaluation', unitAmountMinor: 1_250_000, currency: 'MGA', quantity: 2 }],
        successUrl: 'https://app.astrix.test/ok',
        cancelUrl: 'https://app.astrix.test/cancel',
      },
      key(),
    );
    expect(harness.fake.state.checkoutSessions.get(session.id)?.amount_total).toBe(25_000);
    expect(session.amountTotalMinor).toBe(2_500_000);

    const intent = await pay(100_000, 'MGA');
    const refund = await harness.processor.createRefund(
      { paymentIntentId: intent.id, amountMinor: 40_000, currency: 'MGA' },
      key(),
    );
    expect(harness.fake.state.refunds.get(refund.id)?.amount).toBe(400);
    expect(refund.amountMinor).toBe(40_000);
    // Without the currency the adapter asks Stripe for the payment's currency first.
    const second = await harness.processor.createRefund(
      { paymentIntentId: intent.id, amountMinor: 10_000 },
      key(),
    );
    expect(harness.fake.state.refunds.get(second.id)?.amount).toBe(100);
  });

  it('the fake refuses raw amounts Stripe would refuse (the SDK straight at the fake)', async () => {
    const stripe = new Stripe('sk_test_raw', {
      host: '127.0.0.1',
      port: harness.fake.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const create = async (amount: number, currency: string): Promise<string> =>
      stripe.paymentIntents.create({ amount, currency, payment_method: 'pm_card_visa', confirm: true }).then(
        () => 'accepted',
        (error: { code?: string }) => error.code ?? 'no code',
      );
    expect(await create(150, 'isk')).toBe('invalid_charge_amount_no_decimal_compatible');
    expect(await create(5_124, 'kwd')).toBe('amount_too_precise');
    expect(await create(1_000, 'xxx')).toBe('invalid_currency');
    expect(await create(500, 'isk')).toBe('accepted');
  });
});
