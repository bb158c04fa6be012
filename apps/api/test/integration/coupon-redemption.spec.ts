import { CouponRedemptionService } from '../../src/modules/billing/coupons/coupon-redemption.service';
import { newId } from '../../src/platform/ids';
import { startTestApp, TestApp } from '../support/test-app';

/** CouponRedemptionService.redeem inside payment-completion transactions: limits hold under concurrency. */
describe('coupon redemption', () => {
  let t: TestApp;
  let coupons: CouponRedemptionService;
  beforeAll(async () => {
    t = await startTestApp();
    coupons = t.app.get(CouponRedemptionService);
  });
  afterAll(() => t.close());

  const createCoupon = async (limits: { maxRedemptions?: number; maxRedemptionsPerCustomer?: number }) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: t.as({ roles: ['admin'] }),
      payload: { code: `RACE-${newId('cpn').slice(-8)}`, kind: 'percent_off', percentOff: '20', ...limits },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; code: string };
  };
  const redeem = (couponId: string, customerId: string, chargeId: string) =>
    t.dataSource.transaction((manager) =>
      coupons.redeem(manager, {
        couponId,
        customerId,
        chargeId,
        discountAmount: 5980,
        currency: 'USD',
        now: new Date(),
      }),
    );
  const stateOf = async (couponId: string) => {
    const [coupon] = await t.dataSource.query('SELECT redemption_count FROM billing.coupons WHERE id = $1', [
      couponId,
    ]);
    const rows = await t.dataSource.query(
      'SELECT customer_id, charge_id, discount_amount, currency FROM billing.coupon_redemptions WHERE coupon_id = $1',
      [couponId],
    );
    return { count: coupon.redemption_count as number, rows };
  };

  it('never exceeds the limit: 20 concurrent redemptions of a 3-use coupon redeem exactly 3', async () => {
    const coupon = await createCoupon({ maxRedemptions: 3 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => redeem(coupon.id, newId('cust'), newId('chg'))),
    );
    expect(results.filter((result) => result.redeemed)).toHaveLength(3);
    expect(results.filter((result) => !result.redeemed)).toEqual(
      Array.from({ length: 17 }, () => ({ redeemed: false, reason: 'redemption_limit_reached' })),
    );
    const state = await stateOf(coupon.id);
    expect(state.count).toBe(3);
    expect(state.rows).toHaveLength(3);
    expect(state.rows[0]).toMatchObject({ discount_amount: '5980', currency: 'USD' });
  });

  it('never exceeds the per-customer limit under concurrency', async () => {
    const coupon = await createCoupon({ maxRedemptionsPerCustomer: 2 });
    const customerId = newId('cust');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => redeem(coupon.id, customerId, newId('chg'))),
    );
    expect(results.filter((result) => result.redeemed)).toHaveLength(2);
    expect(results.filter((result) => !result.redeemed).map((result) => result)).toEqual(
      Array.from({ length: 8 }, () => ({ redeemed: false, reason: 'customer_limit_reached' })),
    );
    expect(await stateOf(coupon.id)).toMatchObject({ count: 2, rows: [{}, {}] });
    // Another customer is not held back by this one.
    expect(await redeem(coupon.id, newId('cust'), newId('chg'))).toEqual({ redeemed: true });
  });

  it('counts the same charge once, whether redeemed again later or concurrently', async () => {
    const coupon = await createCoupon({ maxRedemptions: 10 });
    const customerId = newId('cust');
    const chargeId = newId('chg');
    expect(await redeem(coupon.id, customerId, chargeId)).toEqual({ redeemed: true });
    expect(await redeem(coupon.id, customerId, chargeId)).toEqual({ redeemed: true });
    expect(await stateOf(coupon.id)).toMatchObject({ count: 1, rows: [{ charge_id: chargeId }] });

    const concurrentCharge = newId('chg');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => redeem(coupon.id, customerId, concurrentCharge)),
    );
    expect(results).toEqual(Array.from({ length: 5 }, () => ({ redeemed: true })));
    const state = await stateOf(coupon.id);
    expect(state.count).toBe(2);
    expect(state.rows.map((row: { charge_id: string }) => row.charge_id).sort()).toEqual(
      [chargeId, concurrentCharge].sort(),
    );
  });

  it('refuses a charge that already redeemed another coupon, and rolls back with its transaction', async () => {
    const first = await createCoupon({});
    const second = await createCoupon({});
    const chargeId = newId('chg');
    await redeem(first.id, newId('cust'), chargeId);
    await expect(redeem(second.id, newId('cust'), chargeId)).rejects.toMatchObject({ status: 409 });
    expect(await stateOf(second.id)).toEqual({ count: 0, rows: [] });

    // A payment transaction that fails after redeeming leaves neither the count nor the row behind.
    await expect(
      t.dataSource.transaction(async (manager) => {
        await coupons.redeem(manager, {
          couponId: second.id,
          customerId: newId('cust'),
          chargeId: newId('chg'),
          discountAmount: 100,
          currency: 'USD',
          now: new Date(),
        });
        throw new Error('payment completion failed later');
      }),
    ).rejects.toThrow('payment completion failed later');
    expect(await stateOf(second.id)).toEqual({ count: 0, rows: [] });
  });

  it('refuses an unknown coupon and a malformed amount', async () => {
    await expect(redeem('cpn_01jzzzzzzzzzzzzzzzzzzzzzzz', newId('cust'), newId('chg'))).rejects.toMatchObject(
      {
        status: 404,
      },
    );
    const coupon = await createCoupon({});
    await expect(
      t.dataSource.transaction((manager) =>
        coupons.redeem(manager, {
          couponId: coupon.id,
          customerId: newId('cust'),
          chargeId: newId('chg'),
          discountAmount: 12.5,
          currency: 'USD',
          now: new Date(),
        }),
      ),
    ).rejects.toThrow(/minor units|integer/);
    expect(await stateOf(coupon.id)).toEqual({ count: 0, rows: [] });
  });
});
