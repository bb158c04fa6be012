import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { DIST, runBuilt } from '../support/cli';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

const OPERATOR = 'ops-alice';
/** The CLI acts as the staff member of a verified token, never as the OS user. */
const ALICE = 'staff_ops_alice';
const ALICE_TOKEN = signToken({ sub: ALICE, roles: ['admin'] });
const BOB_TOKEN = signToken({ sub: 'staff_ops_bob', roles: ['finance'] });
const PAYOUT_APPROVE = 'po_01jaaaaaaaaaaaaaaaaaaaaaaa';
const PAYOUT_REJECT = 'po_01jbbbbbbbbbbbbbbbbbbbbbbb';
const PAYOUT_FOUR_EYES = 'po_01jccccccccccccccccccccccc';

// Every step starts a CLI process (about 1.5 s alone, several times that while other suites share
// the two cores), so a test of many steps gets more than the default 30 s.
jest.setTimeout(120_000);

describe('admin CLI (built output, same services as the API)', () => {
  let t: BillingTestApp;
  let charge: Record<string, unknown>;

  const environment = (extra: Record<string, string>) => ({
    DATABASE_URL: t.database.url,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    QUEUE_PREFIX: t.queuePrefix,
    STRIPE_SANDBOX_PORT: String(t.fake.port),
    USER: OPERATOR,
    ...extra,
  });
  /** The CLI against the test app's database, Redis prefix and sandbox Stripe, as staff member Alice. */
  const cli = (...args: string[]) =>
    runBuilt('cli.js', args, environment({ ASTRIX_STAFF_TOKEN: ALICE_TOKEN }));
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json');
    if (result.code !== 0) throw new Error(`cli ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  };

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
    charge = (await purchase(t, { sub: 'user_cli', email: 'cli.trader@example.com' }, 'evaluation-25k'))
      .charge;
    const payout = (id: string, fourEyes = false) =>
      t.dataSource.query(
        `INSERT INTO payouts.payouts (id, account_id, user_id, method, status, amount, profit_consumed, currency, requires_second_approval, requested_at, updated_at)
         VALUES ($1, 'acc_cli', 'user_cli', 'stripe_connect', 'requested', 5000, 6000, 'USD', $2, now(), now())`,
        [id, fourEyes],
      );
    await payout(PAYOUT_APPROVE);
    await payout(PAYOUT_REJECT);
    await payout(PAYOUT_FOUR_EYES, true);
  });
  afterAll(() => t.close());

  it('catalog: create, list as a table, archive only when confirmed', async () => {
    const created = (await json(
      'catalog',
      'create',
      '--name',
      'CLI Evaluation',
      '--kind',
      'evaluation',
      '--price',
      'USD:123.45',
      '--price',
      'EUR:99.00',
      '--account-size',
      '10000',
    )) as { id: string; slug: string; prices: Array<{ currency: string; unitAmount: number }> };
    expect(created.slug).toBe('cli-evaluation');
    expect(created.prices.map((price) => [price.currency, price.unitAmount]).sort()).toEqual([
      ['EUR', 9900],
      ['USD', 12345],
    ]);

    const listed = await cli('catalog', 'list');
    expect(listed.code).toBe(0);
    const header = listed.stdout.split('\n')[0];
    expect(header).toMatch(/^ID\s+SLUG\s+KIND\s+NAME\s+STATUS\s+PRICES$/);
    expect(listed.stdout).toMatch(
      new RegExp(`${created.id}\\s+cli-evaluation\\s+evaluation\\s+CLI Evaluation\\s+active`),
    );

    const unconfirmed = await cli('catalog', 'archive', created.id);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('refusing without confirmation; pass --yes');
    const [still] = await t.dataSource.query('SELECT status FROM billing.products WHERE id = $1', [
      created.id,
    ]);
    expect(still.status).toBe('active');

    const archived = await cli('catalog', 'archive', created.id, '--yes');
    expect(archived.code).toBe(0);
    expect(archived.stdout).toMatch(new RegExp(`${created.id}\\s+cli-evaluation\\s+archived`));

    const badKind = await cli('catalog', 'create', '--name', 'x', '--kind', 'lottery', '--price', 'USD:1.00');
    expect(badKind.code).not.toBe(0);
    expect(badKind.stderr).toContain('--kind must be one of');
    const badPrice = await cli(
      'catalog',
      'create',
      '--name',
      'x',
      '--kind',
      'evaluation',
      '--price',
      '12 dollars',
    );
    expect(badPrice.stderr).toContain('--price must look like USD:299.00');
  });

  it('coupon: create and disable', async () => {
    const coupon = (await json(
      'coupon',
      'create',
      '--code',
      'CLI20',
      '--percent-off',
      '20',
      '--max-redemptions',
      '5',
    )) as {
      id: string;
      code: string;
      percentOff: string;
      maxRedemptions: number;
    };
    expect(coupon).toMatchObject({ code: 'CLI20', percentOff: '20', maxRedemptions: 5 });
    const both = await cli(
      'coupon',
      'create',
      '--code',
      'X',
      '--percent-off',
      '5',
      '--amount-off',
      'USD:5.00',
    );
    expect(both.stderr).toContain('exactly one of --percent-off and --amount-off');
    const disabled = (await json('coupon', 'disable', coupon.id, '--yes')) as { status: string };
    expect(disabled.status).toBe('archived');
  });

  it('customer find, refund and the audit trail they leave', async () => {
    const found = (await json('customer', 'find', 'cli.trader@')) as Array<{ id: string; matchedBy: string }>;
    expect(found).toEqual([expect.objectContaining({ id: charge.customer_id, matchedBy: 'email' })]);
    const table = await cli('customer', 'find', 'user_cli');
    expect(table.stdout).toMatch(
      new RegExp(`${charge.customer_id as string}\\s+user_cli\\s+cli.trader@example.com`),
    );
    const ambiguous = await cli('customer', 'find', '4242');
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toContain('add the fingerprint');

    const refund = (await json(
      'refund',
      charge.id as string,
      '--amount',
      '1000',
      '--reason',
      'goodwill',
      '--yes',
    )) as {
      status: string;
      amount: { amount: number };
    };
    expect(refund).toMatchObject({ status: 'succeeded', amount: { amount: 1000 } });
    const [after] = await t.dataSource.query('SELECT amount_refunded FROM billing.charges WHERE id = $1', [
      charge.id,
    ]);
    expect(Number(after.amount_refunded)).toBe(1000);

    const unknown = await cli('refund', 'chg_01jzzzzzzzzzzzzzzzzzzzzzzz', '--reason', 'x', '--yes');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('charge chg_01jzzzzzzzzzzzzzzzzzzzzzzz was not found');
  });

  it('four eyes: two CLI approvals with different $USER but no staff identity, or one, are refused', async () => {
    const approveAs = (extra: Record<string, string>, ...args: string[]) =>
      runBuilt(
        'cli.js',
        ['payout', 'approve', PAYOUT_FOUR_EYES, '--yes', '--json', ...args],
        environment(extra),
      );
    const status = async () =>
      (
        await t.dataSource.query('SELECT status, approvals FROM payouts.payouts WHERE id = $1', [
          PAYOUT_FOUR_EYES,
        ])
      )[0] as { status: string; approvals: Array<{ approvedBy: string }> };

    // Changing $USER is not an identity: without a staff token nothing is approved.
    for (const user of ['ops-alice', 'ops-bob']) {
      const refused = await approveAs({ USER: user });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('acts as a named staff member');
    }
    expect(await status()).toMatchObject({ status: 'requested', approvals: [] });

    // A forged token, a support-only token and the beneficiary's own token are refused too.
    const forged = await approveAs(
      {},
      '--token',
      signToken({ sub: 'staff_x', roles: ['finance'], secret: 'not-the-secret-but-long-enough-for-it' }),
    );
    expect(forged.stderr).toContain('the staff token was refused');
    const support = await approveAs({}, '--token', signToken({ sub: 'staff_sup', roles: ['support'] }));
    expect(support.stderr).toContain('needs the staff role finance');
    const self = await approveAs({}, '--token', signToken({ sub: 'user_cli', roles: ['finance'] }));
    expect(self.stderr).toContain('the beneficiary of a payout cannot approve it');
    expect(await status()).toMatchObject({ status: 'requested', approvals: [] });

    // One staff identity under two OS users counts once.
    expect((await approveAs({ USER: 'ops-alice', ASTRIX_STAFF_TOKEN: ALICE_TOKEN })).code).toBe(0);
    const again = await approveAs({ USER: 'ops-bob', ASTRIX_STAFF_TOKEN: ALICE_TOKEN });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('a second approval must come from a different staff member');
    expect(await status()).toMatchObject({ status: 'requested', approvals: [{ approvedBy: ALICE }] });

    // A second staff member (token given with --token) completes it.
    const second = await approveAs({ USER: 'ops-alice' }, '--token', BOB_TOKEN);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      status: 'approved',
      approvals: [{ approvedBy: ALICE }, { approvedBy: 'staff_ops_bob' }],
    });
  });

  it('payout approve and reject, audited as the staff member', async () => {
    const approved = (await json('payout', 'approve', PAYOUT_APPROVE, '--yes')) as { status: string };
    expect(approved.status).toBe('approved');
    const rejected = (await json('payout', 'reject', PAYOUT_REJECT, '--reason', 'KYC mismatch', '--yes')) as {
      status: string;
      rejectionReason: string;
    };
    expect(rejected).toMatchObject({ status: 'rejected', rejectionReason: 'KYC mismatch' });
    const again = await cli('payout', 'approve', PAYOUT_REJECT, '--yes');
    expect(again.code).not.toBe(0);
  });

  it('audit query filters the log and shows the CLI as the staff member, not the OS user', async () => {
    expect(await json('audit', 'query', '--actor', `cli:${OPERATOR}`)).toEqual([]);
    const entries = (await json('audit', 'query', '--actor', ALICE, '--limit', '100')) as Array<{
      action: string;
      actorId: string;
    }>;
    expect(new Set(entries.map((entry) => entry.action))).toEqual(
      new Set([
        'product.created',
        'product.archived',
        'coupon.created',
        'coupon.archived',
        'refund.requested',
        'payout.approved',
        'payout.rejected',
      ]),
    );
    const refunds = await cli('audit', 'query', '--action', 'refund.requested');
    expect(refunds.stdout).toMatch(new RegExp(`user:${ALICE}\\s+refund.requested\\s+refund:ref_`));
    const badDate = await cli('audit', 'query', '--from', 'yesterday');
    expect(badDate.stderr).toContain('--from must be an ISO 8601 date or date-time');
    const badLimit = await cli('audit', 'query', '--limit', '500');
    expect(badLimit.stderr).toContain('--limit must be at most 100');
  });
});
