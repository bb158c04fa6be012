import { parse } from 'csv-parse/sync';
import type { AccountBalanceView, CustomerStatementView, TrialBalanceView } from '@astrix/contracts';
import { Journal } from '../../src/modules/billing/ledger/journal.service';
import { startTestApp, TestApp } from '../support/test-app';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };
const SUPPORT = { sub: 'staff_support', roles: ['support'] };
const ADMIN = { sub: 'staff_admin', roles: ['admin'] };
const TRADER = { sub: 'user_trader', roles: ['trader'] };

const CAROL = 'cust_01jadminledgercarol0000000';
const NOBODY = 'cust_01jadminledgernobody000000';

describe('admin ledger routes', () => {
  let t: TestApp;
  let paidEntry: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES ($1, 'user_carol', 'carol@example.com', '2026-01-01')`,
      [CAROL],
    );
    const journal = t.app.get(Journal);
    const post = (
      sourceType: 'invoice' | 'charge' | 'credit_note',
      sourceId: string,
      event: string,
      at: string,
      currency: string,
      lines: Array<
        [
          account: 'accounts_receivable' | 'revenue_evaluation' | 'processor_clearing' | 'refunds',
          debit: number,
          credit: number,
        ]
      >,
    ) =>
      t.dataSource.transaction((manager) =>
        journal.post(manager, {
          sourceType,
          sourceId,
          event,
          occurredAt: new Date(at),
          customerId: CAROL,
          lines: lines.map(([account, debit, credit]) => ({ account, currency, debit, credit })),
        }),
      );
    await post('invoice', 'inv_c1', 'invoice.finalized', '2026-03-02T09:00:00Z', 'USD', [
      ['accounts_receivable', 29900, 0],
      ['revenue_evaluation', 0, 29900],
    ]);
    const paid = await post('charge', 'chg_c1', 'charge.succeeded', '2026-03-02T09:00:01Z', 'USD', [
      ['processor_clearing', 29900, 0],
      ['accounts_receivable', 0, 29900],
    ]);
    paidEntry = paid!.id;
    await post('credit_note', 'cn_c1', 'credit_note.issued', '2026-03-04T12:00:00Z', 'USD', [
      ['refunds', 5000, 0],
      ['accounts_receivable', 0, 5000],
    ]);
    await post('invoice', 'inv_c2', 'invoice.finalized', '2026-03-05T00:00:00Z', 'JPY', [
      ['accounts_receivable', 1500, 0],
      ['revenue_evaluation', 0, 1500],
    ]);
  });
  afterAll(() => t.close());

  const get = (url: string, user: object = FINANCE, headers: Record<string, string> = {}) =>
    t.inject({ method: 'GET', url, headers: { ...t.as(user), ...headers } });

  it('serves the trial balance at an instant, as JSON and as CSV', async () => {
    const response = await get('/v1/admin/ledger/trial-balance?at=2026-03-03');
    expect(response.statusCode).toBe(200);
    const view = response.json<TrialBalanceView>();
    expect(view.at).toBe('2026-03-03T00:00:00.000Z');
    expect(view.balanced).toBe(true);
    expect(view.rows.map((row) => [row.account, row.currency, row.balance])).toEqual([
      ['processor_clearing', 'USD', 29900],
      ['accounts_receivable', 'USD', 0],
      ['revenue_evaluation', 'USD', 29900],
    ]);
    expect(view.totals).toEqual([
      {
        currency: 'USD',
        debits: 59800,
        credits: 59800,
        debitBalance: 29900,
        creditBalance: 29900,
        balanced: true,
      },
    ]);

    const csv = await get('/v1/admin/ledger/trial-balance?at=2026-04-01T00:00:00Z', ADMIN, {
      accept: 'text/csv',
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain('trial-balance-2026-04-01T00-00-00-000Z.csv');
    const records = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
    expect(
      records.find((record) => record.account === 'accounts_receivable' && record.currency === 'JPY'),
    ).toEqual({
      account: 'accounts_receivable',
      name: 'Accounts receivable',
      type: 'asset',
      normal_side: 'debit',
      currency: 'JPY',
      debits: '1500',
      credits: '0',
      debit_balance: '1500',
      credit_balance: '0',
    });
    expect(records.filter((record) => record.account === 'TOTAL')).toEqual([
      expect.objectContaining({
        name: 'balanced',
        currency: 'JPY',
        debit_balance: '1500',
        credit_balance: '1500',
      }),
      expect.objectContaining({ name: 'balanced', currency: 'USD', debits: '648.00', credits: '648.00' }),
    ]);
  });

  it("serves one account's balance, of one customer and currency", async () => {
    const response = await get(
      `/v1/admin/ledger/accounts/accounts_receivable?at=2026-04-01&customerId=${CAROL}&currency=usd`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json<AccountBalanceView>()).toEqual({
      account: 'accounts_receivable',
      name: 'Accounts receivable',
      type: 'asset',
      normalSide: 'debit',
      at: '2026-04-01T00:00:00.000Z',
      customerId: CAROL,
      balances: [{ currency: 'USD', debits: 29900, credits: 34900, balance: -5000 }],
    });
    expect((await get('/v1/admin/ledger/accounts/petty_cash')).statusCode).toBe(404);
  });

  it("pages a customer's statement with its running balance, and exports the whole of it as CSV", async () => {
    const first = await get(
      `/v1/admin/ledger/customers/${CAROL}/statement?from=2026-03-01&to=2026-04-01&limit=2`,
      SUPPORT,
    );
    expect(first.statusCode).toBe(200);
    const page = first.json<CustomerStatementView>();
    expect(page.data.map((line) => [line.sourceId, line.kind, line.currency, line.balance])).toEqual([
      ['inv_c1', 'billed', 'USD', 29900],
      ['chg_c1', 'paid', 'USD', 0],
    ]);
    expect(page.nextCursor).toBe(paidEntry);
    expect(page.currencies).toEqual([
      {
        currency: 'JPY',
        openingBalance: 0,
        debits: 1500,
        credits: 0,
        closingBalance: 1500,
        closingReceivable: 1500,
        closingCredit: 0,
      },
      {
        currency: 'USD',
        openingBalance: 0,
        debits: 29900,
        credits: 34900,
        closingBalance: -5000,
        closingReceivable: -5000,
        closingCredit: 0,
      },
    ]);
    const second = await get(
      `/v1/admin/ledger/customers/${CAROL}/statement?from=2026-03-01&to=2026-04-01&limit=2&cursor=${page.nextCursor}`,
    );
    expect(
      second
        .json<CustomerStatementView>()
        .data.map((line) => [line.sourceId, line.kind, line.currency, line.balance]),
    ).toEqual([
      ['cn_c1', 'credited', 'USD', -5000],
      ['inv_c2', 'billed', 'JPY', 1500],
    ]);
    expect(second.json<CustomerStatementView>().nextCursor).toBeNull();

    const usdOnly = await get(`/v1/admin/ledger/customers/${CAROL}/statement?currency=USD&from=2026-03-03`);
    expect(usdOnly.json<CustomerStatementView>().currencies).toEqual([
      expect.objectContaining({ currency: 'USD', openingBalance: 0, closingBalance: -5000 }),
    ]);

    const csv = await get(
      `/v1/admin/ledger/customers/${CAROL}/statement?from=2026-03-01&to=2026-04-01&limit=1`,
      FINANCE,
      {
        accept: 'text/csv',
      },
    );
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toContain(`statement-${CAROL}-2026-03-01-2026-04-01.csv`);
    const records = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
    expect(
      records.map((record) => [record.kind, record.currency, record.debit, record.credit, record.balance]),
    ).toEqual([
      ['opening_balance', 'JPY', '', '', '0'],
      ['billed', 'JPY', '1500', '0', '1500'],
      ['closing_balance', 'JPY', '1500', '0', '1500'],
      ['opening_balance', 'USD', '', '', '0.00'],
      ['billed', 'USD', '299.00', '0.00', '299.00'],
      ['paid', 'USD', '0.00', '299.00', '0.00'],
      ['credited', 'USD', '0.00', '50.00', '-50.00'],
      ['closing_balance', 'USD', '299.00', '349.00', '-50.00'],
    ]);
  });

  it('lets finance and admin read everything, support the statements only, traders nothing', async () => {
    const trialBalance = '/v1/admin/ledger/trial-balance';
    const account = '/v1/admin/ledger/accounts/refunds';
    const statement = `/v1/admin/ledger/customers/${CAROL}/statement`;
    const status = async (url: string, user: object) => (await get(url, user)).statusCode;
    expect(await status(trialBalance, FINANCE)).toBe(200);
    expect(await status(trialBalance, ADMIN)).toBe(200);
    expect(await status(trialBalance, SUPPORT)).toBe(403);
    expect(await status(trialBalance, TRADER)).toBe(403);
    expect(await status(account, SUPPORT)).toBe(403);
    expect(await status(account, ADMIN)).toBe(200);
    expect(await status(statement, SUPPORT)).toBe(200);
    expect(await status(statement, ADMIN)).toBe(200);
    expect(await status(statement, TRADER)).toBe(403);
    expect((await t.inject({ method: 'GET', url: trialBalance })).statusCode).toBe(401);
  });

  it('refuses bad dates, ids, currencies and cursors with 400, unknown customers and accounts with 404', async () => {
    for (const [url, message] of [
      ['/v1/admin/ledger/trial-balance?at=2026-02-30', 'at must be an ISO 8601'],
      ['/v1/admin/ledger/trial-balance?at=yesterday', 'at must be an ISO 8601'],
      ['/v1/admin/ledger/trial-balance?at=2026-W01', 'at must be an ISO 8601'],
      ['/v1/admin/ledger/trial-balance?extra=1', 'property extra should not exist'],
      ['/v1/admin/ledger/accounts/refunds?customerId=alice', 'customerId must be a customer id'],
      ['/v1/admin/ledger/accounts/refunds?currency=XYZ', 'currency must be an ISO 4217'],
      [`/v1/admin/ledger/customers/${CAROL}/statement?from=2026-13-01`, 'from must be an ISO 8601'],
      [
        `/v1/admin/ledger/customers/${CAROL}/statement?from=2026-04-01&to=2026-03-01`,
        'to must be after from',
      ],
      [`/v1/admin/ledger/customers/${CAROL}/statement?limit=0`, 'limit must be an integer from 1 to 100'],
      [`/v1/admin/ledger/customers/${CAROL}/statement?cursor=abc`, 'cursor must be the nextCursor'],
      [
        `/v1/admin/ledger/customers/${CAROL}/statement?cursor=je_01jaaaaaaaaaaaaaaaaaaaaaaa`,
        'cursor must be the nextCursor',
      ],
    ]) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 400 });
      expect(response.json().error).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(response.json().error.message).toContain(message);
    }
    for (const url of [
      `/v1/admin/ledger/customers/${NOBODY}/statement`,
      '/v1/admin/ledger/customers/not-a-customer/statement',
      '/v1/admin/ledger/accounts/petty_cash',
    ]) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });
});
