import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { CouponRedemptionService } from '../../src/modules/billing/coupons/coupon-redemption.service';
import { Customer } from '../../src/modules/billing/customers/customer.entity';
import { InvoicesService } from '../../src/modules/billing/invoicing/invoices.service';
import { LedgerPostings } from '../../src/modules/billing/ledger/ledger-postings.service';
import { Charge } from '../../src/modules/billing/payments/charge.entity';
import { newId } from '../../src/platform/ids';
import { startTestApp, TestApp } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const ADMIN = { sub: 'admin_coupons', roles: ['admin'] };
const DAY_MS = 24 * 60 * 60 * 1000;

describe('billing coupons', () => {
  let t: TestApp;
  let evaluation: { id: string };
  let reset: { id: string };
  beforeAll(async () => {
    t = await startTestApp();
    const create = (payload: Record<string, unknown>) =>
      t.inject({ method: 'POST', url: '/v1/admin/products', headers: t.as(ADMIN), payload });
    evaluation = (
      await create({
        kind: 'evaluation',
        name: 'Evaluation 50k',
        attributes: { accountSize: 50000, phases: 2, profitTargetPercent: ['8', '5'] },
        prices: [
          { currency: 'USD', unitAmount: 29900 },
          { currency: 'EUR', unitAmount: 27900 },
        ],
      })
    ).json();
    reset = (
      await create({ kind: 'reset', name: 'Reset 50k', prices: [{ currency: 'USD', unitAmount: 14900 }] })
    ).json();
  });
  afterAll(() => t.close());

  let codes = 0;
  /** A code no other test uses. */
  const uniqueCode = (prefix: string) => `${prefix}${(codes += 1)}`;
  const createCoupon = (payload: Record<string, unknown>, headers = t.as(ADMIN)) =>
    t.inject({ method: 'POST', url: '/v1/admin/coupons', headers, payload });
  const coupon = async (payload: Record<string, unknown>): Promise<{ id: string; code: string }> => {
    const response = await createCoupon({ code: uniqueCode('CPN-'), ...payload });
    expect(response.statusCode).toBe(201);
    return response.json();
  };
  const validate = (code: string, productId = evaluation.id, currency = 'USD', sub = 'user_plain') =>
    t.inject({
      method: 'POST',
      url: '/v1/billing/coupons/validate',
      headers: t.as({ sub, roles: ['trader'] }),
      payload: { code, productId, currency },
    });
  const customerFor = async (userId: string): Promise<string> => {
    const id = newId('cust');
    await t.dataSource
      .getRepository(Customer)
      .insert({ id, userId, email: null, stripeCustomerId: null, createdAt: new Date() });
    return id;
  };
  /** A completed purchase, as payments would record it: the charge and its receipt. */
  const chargeFor = async (userId: string, customerId: string): Promise<string> => {
    const id = newId('chg');
    const usd = (amount: number) => ({ amount, currency: 'USD' });
    await t.dataSource.transaction(async (manager) => {
      const charge = manager.create(Charge, {
        id,
        customerId,
        userId,
        checkoutSessionId: newId('chk'),
        productId: evaluation.id,
        amount: 29900,
        currency: 'USD',
        status: 'succeeded',
        paidAt: new Date(),
      });
      await manager.insert(Charge, charge);
      // As the charge recorder posts it, in the same transaction.
      await t.app.get(LedgerPostings).chargeSucceeded(manager, charge);
      await t.app.get(InvoicesService).issueReceipt(manager, {
        charge,
        customerEmail: null,
        productName: 'Evaluation',
        breakdown: {
          subtotal: usd(29900),
          discount: usd(0),
          tax: usd(0),
          total: usd(29900),
          couponCode: null,
          lines: [{ description: 'Evaluation', amount: usd(29900), discount: usd(0) }],
        },
        paidAt: charge.paidAt,
      });
    });
    return id;
  };
  const redeem = (couponId: string, customerId: string, chargeId: string) =>
    t.dataSource.transaction((manager) =>
      t.app.get(CouponRedemptionService).redeem(manager, {
        couponId,
        customerId,
        chargeId,
        discountAmount: 5980,
        currency: 'USD',
        now: new Date(),
      }),
    );

  describe('validating a code for a product', () => {
    it('applies a percent-off coupon, matching the code case-insensitively', async () => {
      const percent = await coupon({ kind: 'percent_off', percentOff: '20' });
      const response = await validate(` ${percent.code.toLowerCase()} `);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        valid: true,
        couponCode: percent.code,
        breakdown: {
          subtotal: { amount: 29900, currency: 'USD' },
          discount: { amount: 5980, currency: 'USD' },
          tax: { amount: 0, currency: 'USD' },
          total: { amount: 23920, currency: 'USD' },
          couponCode: percent.code,
          lines: [
            {
              description: 'Evaluation 50k',
              amount: { amount: 29900, currency: 'USD' },
              discount: { amount: 5980, currency: 'USD' },
            },
          ],
        },
      });
    });

    it('rounds a percentage of an odd amount half-even and caps it at maxDiscount', async () => {
      const third = await coupon({ kind: 'percent_off', percentOff: '33.3333' });
      expect((await validate(third.code, evaluation.id, 'EUR')).json().breakdown.discount).toEqual({
        amount: 9300, // 27900 × 33.3333 % = 9299.99…
        currency: 'EUR',
      });
      const capped = await coupon({
        kind: 'percent_off',
        percentOff: '50',
        maxDiscount: { USD: 10000, EUR: 9000 },
      });
      const breakdown = (await validate(capped.code)).json().breakdown;
      expect(breakdown.discount.amount).toBe(10000);
      expect(breakdown.total.amount).toBe(19900);
    });

    it('applies an amount-off coupon in its currency and refuses it in another', async () => {
      const amount = await coupon({ kind: 'amount_off', amountOff: { USD: 5000 } });
      const usd = (await validate(amount.code)).json();
      expect(usd.valid).toBe(true);
      expect(usd.breakdown).toMatchObject({
        discount: { amount: 5000 },
        total: { amount: 24900, currency: 'USD' },
      });
      const eur = await validate(amount.code, evaluation.id, 'EUR');
      expect(eur.statusCode).toBe(200);
      expect(eur.json()).toEqual({
        valid: false,
        couponCode: amount.code,
        reason: 'wrong_currency',
        message: `coupon ${amount.code}: the amount off is not defined in EUR`,
      });
    });

    it('never discounts below zero', async () => {
      const huge = await coupon({ kind: 'amount_off', amountOff: { USD: 100000 } });
      expect((await validate(huge.code)).json().breakdown.total).toEqual({ amount: 0, currency: 'USD' });
    });

    it('refuses an expired coupon', async () => {
      const expiring = await coupon({
        kind: 'percent_off',
        percentOff: '10',
        expiresAt: new Date(Date.now() + DAY_MS).toISOString(),
      });
      expect((await validate(expiring.code)).json().valid).toBe(true);
      // Time passes: move the expiry into the past rather than waiting for it.
      await t.dataSource.query(
        `UPDATE billing.coupons SET expires_at = now() - interval '1 minute' WHERE id = $1`,
        [expiring.id],
      );
      const response = (await validate(expiring.code)).json();
      expect(response).toMatchObject({ valid: false, reason: 'expired' });
      expect(response.message).toMatch(new RegExp(`^coupon ${expiring.code}: expired at \\d{4}-`));
    });

    it('refuses a coupon for other products', async () => {
      const resetOnly = await coupon({ kind: 'percent_off', percentOff: '50', productIds: [reset.id] });
      expect((await validate(resetOnly.code, reset.id)).json().valid).toBe(true);
      expect((await validate(resetOnly.code)).json()).toMatchObject({
        valid: false,
        reason: 'not_for_product',
        message: expect.stringContaining(reset.id),
      });
    });

    it('refuses an order below the minimum', async () => {
      const minimum = await coupon({
        kind: 'amount_off',
        amountOff: { USD: 2000 },
        minimumOrder: { USD: 20000 },
      });
      expect((await validate(minimum.code)).json().valid).toBe(true);
      expect((await validate(minimum.code, reset.id)).json()).toMatchObject({
        valid: false,
        reason: 'below_minimum',
        message: `coupon ${minimum.code}: needs an order of at least 200.00 USD, got 149.00 USD`,
      });
    });

    it('refuses a first-purchase-only coupon once the user has bought something', async () => {
      const welcome = await coupon({ kind: 'percent_off', percentOff: '20', firstPurchaseOnly: true });
      expect((await validate(welcome.code, evaluation.id, 'USD', 'user_new')).json().valid).toBe(true);
      await chargeFor('user_returning', await customerFor('user_returning'));
      expect((await validate(welcome.code, evaluation.id, 'USD', 'user_returning')).json()).toMatchObject({
        valid: false,
        reason: 'first_purchase_only',
        message: `coupon ${welcome.code}: is valid on a first purchase only`,
      });
    });

    it('refuses a coupon the customer has used up, while others may still use it', async () => {
      const once = await coupon({ kind: 'percent_off', percentOff: '20', maxRedemptionsPerCustomer: 1 });
      const customerId = await customerFor('user_loyal');
      expect((await validate(once.code, evaluation.id, 'USD', 'user_loyal')).json().valid).toBe(true);
      expect(await redeem(once.id, customerId, await chargeFor('user_loyal', customerId))).toEqual({
        redeemed: true,
      });
      expect((await validate(once.code, evaluation.id, 'USD', 'user_loyal')).json()).toMatchObject({
        valid: false,
        reason: 'customer_limit_reached',
      });
      expect((await validate(once.code, evaluation.id, 'USD', 'user_other')).json().valid).toBe(true);
    });

    it('refuses a coupon whose redemptions are used up', async () => {
      const single = await coupon({ kind: 'percent_off', percentOff: '20', maxRedemptions: 1 });
      const customerId = await customerFor('user_first_come');
      await redeem(single.id, customerId, await chargeFor('user_first_come', customerId));
      expect((await validate(single.code, evaluation.id, 'USD', 'user_late')).json()).toMatchObject({
        valid: false,
        reason: 'redemption_limit_reached',
        message: `coupon ${single.code}: all 1 redemptions have been used`,
      });
    });

    it('refuses an archived coupon and an unknown one, with 200', async () => {
      const archived = await coupon({ kind: 'percent_off', percentOff: '20' });
      await t.inject({
        method: 'POST',
        url: `/v1/admin/coupons/${archived.id}/archive`,
        headers: t.as(ADMIN),
      });
      const gone = await validate(archived.code);
      expect(gone.statusCode).toBe(200);
      expect(gone.json()).toEqual({
        valid: false,
        couponCode: archived.code,
        reason: 'archived',
        message: `coupon ${archived.code} is no longer available`,
      });
      const unknown = await validate('nope-nothing');
      expect(unknown.statusCode).toBe(200);
      expect(unknown.json()).toEqual({
        valid: false,
        couponCode: 'NOPE-NOTHING',
        reason: 'not_found',
        message: 'coupon NOPE-NOTHING does not exist',
      });
    });

    it('answers for the product first: 404, 422, and 400 on a malformed request', async () => {
      const any = await coupon({ kind: 'percent_off', percentOff: '20' });
      expect((await validate(any.code, 'prd_01jzzzzzzzzzzzzzzzzzzzzzzz')).statusCode).toBe(404);
      const yen = await validate(any.code, evaluation.id, 'JPY');
      expect(yen.statusCode).toBe(422);
      expect(yen.json().error.code).toBe('CURRENCY_NOT_OFFERED');
      const malformed = await t.inject({
        method: 'POST',
        url: '/v1/billing/coupons/validate',
        headers: t.as({ roles: ['trader'] }),
        payload: { code: any.code, productId: evaluation.id, currency: 'dollars' },
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.details[0].field).toBe('currency');
      const anonymous = await t.inject({
        method: 'POST',
        url: '/v1/billing/coupons/validate',
        payload: { code: any.code, productId: evaluation.id, currency: 'USD' },
      });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  describe('quote, for checkout', () => {
    it('prices the product alone without a code', async () => {
      const { product, price } = await t.app.get(CatalogService).getPurchasable(evaluation.id, 'USD');
      const quote = await t.app
        .get(CouponRedemptionService)
        .quote({ product, price, userId: null, now: new Date() });
      expect(quote).toEqual({
        ok: true,
        coupon: null,
        breakdown: {
          subtotal: { amount: 29900, currency: 'USD' },
          discount: { amount: 0, currency: 'USD' },
          tax: { amount: 0, currency: 'USD' },
          total: { amount: 29900, currency: 'USD' },
          couponCode: null,
          lines: [
            {
              description: 'Evaluation 50k',
              amount: { amount: 29900, currency: 'USD' },
              discount: { amount: 0, currency: 'USD' },
            },
          ],
        },
      });
    });
  });

  describe('staff administration', () => {
    it('creates a coupon with its code upper-cased, shows it, lists it, and audits it', async () => {
      const code = uniqueCode('spring_sale-');
      const created = await createCoupon({
        code: code.toLowerCase(),
        kind: 'amount_off',
        amountOff: { USD: 1000, EUR: 900 },
        duration: 'repeating',
        durationPeriods: 3,
        maxRedemptions: 100,
        expiresAt: '2099-01-01T00:00:00Z',
      });
      expect(created.statusCode).toBe(201);
      const body = created.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^cpn_[0-9a-z]{26}$/),
        code: code.toUpperCase(),
        kind: 'amount_off',
        percentOff: null,
        amountOff: { USD: 1000, EUR: 900 },
        maxDiscount: null,
        minimumOrder: null,
        duration: 'repeating',
        durationPeriods: 3,
        productIds: null,
        firstPurchaseOnly: false,
        expiresAt: '2099-01-01T00:00:00.000Z',
        maxRedemptions: 100,
        maxRedemptionsPerCustomer: null,
        redemptionCount: 0,
        status: 'active',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const fetched = await t.inject({
        method: 'GET',
        url: `/v1/admin/coupons/${body.id}`,
        headers: t.as(ADMIN),
      });
      expect(fetched.json()).toEqual(body);
      const listed = await t.inject({
        method: 'GET',
        url: '/v1/admin/coupons?limit=100',
        headers: t.as(ADMIN),
      });
      expect(listed.json().data.map((row: { id: string }) => row.id)).toContain(body.id);
      const audit = await t.dataSource.query(
        `SELECT actor_id, action FROM platform.audit_log WHERE resource_type = 'coupon' AND resource_id = $1`,
        [body.id],
      );
      expect(audit).toEqual([{ actor_id: 'admin_coupons', action: 'coupon.created' }]);
    });

    it('refuses a code that exists in any case with 409', async () => {
      const existing = await coupon({ kind: 'percent_off', percentOff: '5' });
      const again = await createCoupon({
        code: existing.code.toLowerCase(),
        kind: 'percent_off',
        percentOff: '10',
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toBe(`coupon code ${existing.code} already exists`);
    });

    it.each([
      ['a short code', { code: 'AB' }, 'code', /3 to 40/],
      ['a code with spaces', { code: 'NO SPACES' }, 'code', /letters, digits, _ and -/],
      ['an unknown kind', { kind: 'free_money' }, 'kind', /percent_off or amount_off/],
      [
        'percent_off without percentOff',
        { percentOff: undefined },
        'percentOff',
        /required for a percent_off/,
      ],
      ['a zero percentOff', { percentOff: '0' }, 'percentOff', /more than 0/],
      ['a percentOff above 100', { percentOff: '100.5' }, 'percentOff', /at most 100/],
      ['a numeric percentOff', { percentOff: 20 }, 'percentOff', /decimal string/],
      ['percent_off with amountOff', { amountOff: { USD: 100 } }, 'amountOff', /only for amount_off/],
      [
        'amount_off without amountOff',
        { kind: 'amount_off', percentOff: undefined },
        'amountOff',
        /required for an amount_off/,
      ],
      [
        'a zero amountOff',
        { kind: 'amount_off', percentOff: undefined, amountOff: { USD: 0 } },
        'amountOff',
        /positive integer/,
      ],
      [
        'a fractional amountOff',
        { kind: 'amount_off', percentOff: undefined, amountOff: { USD: 9.99 } },
        'amountOff',
        /positive integer/,
      ],
      [
        'an unknown currency',
        { kind: 'amount_off', percentOff: undefined, amountOff: { usd: 100 } },
        'amountOff',
        /ISO 4217/,
      ],
      [
        'an empty amountOff',
        { kind: 'amount_off', percentOff: undefined, amountOff: {} },
        'amountOff',
        /at least one currency/,
      ],
      ['repeating without periods', { duration: 'repeating' }, 'durationPeriods', /required for a repeating/],
      ['periods on a one-off coupon', { durationPeriods: 3 }, 'durationPeriods', /only for repeating/],
      ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt', /in the future/],
      ['an expiry that is no date', { expiresAt: 'next tuesday' }, 'expiresAt', /ISO 8601/],
      ['a zero limit', { maxRedemptions: 0 }, 'maxRedemptions', /positive integer/],
      [
        'a fractional per-customer limit',
        { maxRedemptionsPerCustomer: 1.5 },
        'maxRedemptionsPerCustomer',
        /positive integer/,
      ],
      [
        'a per-customer limit above the total',
        { maxRedemptions: 2, maxRedemptionsPerCustomer: 3 },
        'maxRedemptionsPerCustomer',
        /must not exceed maxRedemptions/,
      ],
      [
        'an unknown product',
        { productIds: ['prd_01jzzzzzzzzzzzzzzzzzzzzzzz'] },
        'productIds',
        /unknown products/,
      ],
      ['a malformed product id', { productIds: ['evaluation'] }, 'productIds', /product id/],
      ['an unknown field', { stackable: true }, 'stackable', /should not exist/],
    ])('refuses %s with 400 and the field, creating nothing', async (_case, change, field, message) => {
      const [{ n: before }] = await t.dataSource.query('SELECT count(*)::int AS n FROM billing.coupons');
      const response = await createCoupon({
        code: uniqueCode('BAD'),
        kind: 'percent_off',
        percentOff: '10',
        ...change,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
      expect(response.json().error.details).toEqual(
        expect.arrayContaining([{ field, message: expect.stringMatching(message) }]),
      );
      const [{ n: after }] = await t.dataSource.query('SELECT count(*)::int AS n FROM billing.coupons');
      expect(after).toBe(before);
    });

    it('changes limits, expiry and status, refuses a limit below the redemptions made, and audits', async () => {
      const limited = await coupon({ kind: 'percent_off', percentOff: '15', maxRedemptions: 5 });
      const customerId = await customerFor('user_patch');
      await redeem(limited.id, customerId, await chargeFor('user_patch', customerId));
      await redeem(limited.id, customerId, await chargeFor('user_patch', customerId));
      const patch = (payload: Record<string, unknown>) =>
        t.inject({ method: 'PATCH', url: `/v1/admin/coupons/${limited.id}`, headers: t.as(ADMIN), payload });

      const tooLow = await patch({ maxRedemptions: 1 });
      expect(tooLow.statusCode).toBe(422);
      expect(tooLow.json().error.message).toBe('maxRedemptions 1 is below the 2 redemptions already made');

      const changed = await patch({
        maxRedemptions: 2,
        maxRedemptionsPerCustomer: 2,
        expiresAt: '2099-06-01T00:00:00Z',
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({
        maxRedemptions: 2,
        maxRedemptionsPerCustomer: 2,
        expiresAt: '2099-06-01T00:00:00.000Z',
        redemptionCount: 2,
      });
      expect((await validate(limited.code)).json().reason).toBe('redemption_limit_reached');

      const cleared = await patch({ maxRedemptions: null, expiresAt: null });
      expect(cleared.json()).toMatchObject({
        maxRedemptions: null,
        expiresAt: null,
        maxRedemptionsPerCustomer: 2,
      });
      expect((await validate(limited.code)).json().valid).toBe(true);

      const archived = await patch({ status: 'archived' });
      expect(archived.json().status).toBe('archived');
      expect((await validate(limited.code)).json().reason).toBe('archived');
      const restored = await patch({ status: 'active' });
      expect(restored.json().status).toBe('active');

      expect((await patch({})).statusCode).toBe(400);
      expect((await patch({ expiresAt: '2001-01-01T00:00:00Z' })).statusCode).toBe(400);
      expect((await patch({ code: 'RENAMED' })).statusCode).toBe(400);

      const actions = await t.dataSource.query(
        `SELECT action FROM platform.audit_log WHERE resource_id = $1 ORDER BY id`,
        [limited.id],
      );
      expect(actions.map((row: { action: string }) => row.action)).toEqual([
        'coupon.created',
        'coupon.updated',
        'coupon.updated',
        'coupon.updated',
        'coupon.updated',
      ]);
    });

    it('archives once, then answers 409', async () => {
      const archivable = await coupon({ kind: 'percent_off', percentOff: '15' });
      const url = `/v1/admin/coupons/${archivable.id}/archive`;
      const first = await t.inject({ method: 'POST', url, headers: t.as(ADMIN) });
      expect(first.statusCode).toBe(200);
      expect(first.json().status).toBe('archived');
      const second = await t.inject({ method: 'POST', url, headers: t.as(ADMIN) });
      expect(second.statusCode).toBe(409);
      const unknown = await t.inject({
        method: 'POST',
        url: '/v1/admin/coupons/cpn_01jzzzzzzzzzzzzzzzzzzzzzzz/archive',
        headers: t.as(ADMIN),
      });
      expect(unknown.statusCode).toBe(404);
    });

    it('refuses traders on every admin coupon route with 403', async () => {
      const target = await coupon({ kind: 'percent_off', percentOff: '15' });
      const routes = [
        { method: 'POST' as const, url: '/v1/admin/coupons' },
        { method: 'GET' as const, url: '/v1/admin/coupons' },
        { method: 'GET' as const, url: `/v1/admin/coupons/${target.id}` },
        { method: 'PATCH' as const, url: `/v1/admin/coupons/${target.id}` },
        { method: 'POST' as const, url: `/v1/admin/coupons/${target.id}/archive` },
      ];
      for (const route of routes) {
        const response = await t.inject({ ...route, headers: t.as({ roles: ['trader'] }), payload: {} });
        expect({ ...route, status: response.statusCode }).toEqual({ ...route, status: 403 });
      }
      const [row] = await t.dataSource.query('SELECT status FROM billing.coupons WHERE id = $1', [target.id]);
      expect(row.status).toBe('active');
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
