import { productBySlug } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';

describe('books check: trials longer than their plan (trial_longer_than_plan)', () => {
  let t: SubscriptionTestApp;
  let id: string;

  const findingsOf = async (kind: string) =>
    (await checkBooks(t.app)).findings.filter((finding) => finding.kind === kind);

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-06-01T00:00:00Z');
    const pro = (await productBySlug(t, 'pro-monthly')).id; // a 7-day trial
    const created = await t.subscribe('user_books_trial', { productId: pro, currency: 'USD' });
    expect(created.json()).toMatchObject({ status: 'trialing', trialEnd: '2026-06-08T00:00:00.000Z' });
    id = created.json().id;
  });
  afterAll(() => t.close());

  it("is clean for the plan's own trial", async () => {
    expect(await findingsOf('trial_longer_than_plan')).toEqual([]);
  });

  it('finds a 365-day trial of a 7-day plan (as the old subscribe gave a trader), not once staff granted it', async () => {
    await t.dataSource.query(
      `UPDATE billing.subscriptions SET trial_end = created_at + interval '365 days',
              current_period_end = created_at + interval '365 days' WHERE id = $1`,
      [id],
    );
    try {
      expect(await findingsOf('trial_longer_than_plan')).toEqual([
        expect.objectContaining({
          subject: id,
          currency: 'USD',
          message: expect.stringContaining('365.00-day trial; its plan gives 7 days'),
        }),
      ]);
      await t.dataSource.query(
        `UPDATE billing.subscriptions SET trial_granted_by = 'staff_a' WHERE id = $1`,
        [id],
      );
      expect(await findingsOf('trial_longer_than_plan')).toEqual([]);
    } finally {
      await t.dataSource.query(
        `UPDATE billing.subscriptions SET trial_end = created_at + interval '7 days',
                current_period_end = created_at + interval '7 days', trial_granted_by = NULL WHERE id = $1`,
        [id],
      );
    }
    await expectBooksClean(t.app);
  });
});
