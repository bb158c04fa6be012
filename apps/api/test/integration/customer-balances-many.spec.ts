import { CustomerBalances } from '../../src/modules/billing/customers/customer-balances.service';
import { newId } from '../../src/platform/ids';
import { startTestApp, TestApp } from '../support/test-app';

describe('customer balances: many movements at once', () => {
  let t: TestApp;
  let balances: CustomerBalances;
  beforeAll(async () => {
    t = await startTestApp();
    balances = t.app.get(CustomerBalances);
  });
  afterAll(() => t.close());

  const movement = (customerId: string, amount: number, reference: string) => ({
    customerId,
    currency: 'EUR',
    amount,
    kind: 'adjustment' as const,
    reference,
    description: 'test',
    createdBy: 'test',
  });

  async function stateOf(customerId: string) {
    const [row] = await t.dataSource.query(
      `SELECT balance::int AS balance FROM billing.customer_balances WHERE customer_id = $1 AND currency = 'EUR'`,
      [customerId],
    );
    const movements = await t.dataSource.query(
      `SELECT amount::int AS amount, balance_after::int AS after FROM billing.customer_balance_transactions
        WHERE customer_id = $1 ORDER BY id`,
      [customerId],
    );
    const [{ entries }] = await t.dataSource.query(
      `SELECT count(*)::int AS entries FROM billing.journal_entries
        WHERE source_type = 'customer_balance_transaction' AND customer_id = $1`,
      [customerId],
    );
    return { balance: row?.balance ?? null, movements, entries };
  }

  it('creates the balance, applies the movements in order and skips a reference already made', async () => {
    const customerId = newId('cust');
    const [first] = await t.dataSource.transaction((manager) =>
      balances.moveMany(manager, [
        { direction: 'credit', movement: movement(customerId, 500, `${customerId}:a`) },
      ]),
    );
    const made = await t.dataSource.transaction((manager) =>
      balances.moveMany(manager, [
        { direction: 'credit', movement: movement(customerId, 500, `${customerId}:a`) },
        { direction: 'spend', movement: movement(customerId, 300, `${customerId}:b`) },
        { direction: 'credit', movement: movement(customerId, 50, `${customerId}:c`) },
        { direction: 'spend', movement: movement(customerId, 250, `${customerId}:d`) },
        { direction: 'spend', movement: movement(customerId, 250, `${customerId}:d`) },
      ]),
    );
    expect(first).toMatchObject({ amount: 500, balanceAfter: 500 });
    expect(made.map((entry) => [entry.amount, entry.balanceAfter])).toEqual([
      [-300, 200],
      [50, 250],
      [-250, 0],
    ]);
    expect(await stateOf(customerId)).toEqual({
      balance: 0,
      movements: [
        { amount: 500, after: 500 },
        { amount: -300, after: 200 },
        { amount: 50, after: 250 },
        { amount: -250, after: 0 },
      ],
      entries: 4,
    });
  });

  it('refuses (409) to spend more than the balance holds, and the transaction keeps nothing', async () => {
    const customerId = newId('cust');
    await t.dataSource.transaction((manager) =>
      balances.moveMany(manager, [
        { direction: 'credit', movement: movement(customerId, 100, `${customerId}:a`) },
      ]),
    );
    await expect(
      t.dataSource.transaction((manager) =>
        balances.moveMany(manager, [
          { direction: 'spend', movement: movement(customerId, 60, `${customerId}:b`) },
          { direction: 'spend', movement: movement(customerId, 60, `${customerId}:c`) },
        ]),
      ),
    ).rejects.toMatchObject({ status: 409 });
    expect(await stateOf(customerId)).toEqual({
      balance: 100,
      movements: [{ amount: 100, after: 100 }],
      entries: 1,
    });
  });
});
