import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan } from 'typeorm';
import type { BalanceTransactionView, CustomerBalanceView, Page } from '@astrix/contracts';
import { add, type CurrencyCode, money, parseCurrencyCode, subtract } from '@astrix/pricing';
import { Clock } from '../../../platform/clock';
import { AppError, ConflictError } from '../../../platform/http/app-error';
import { toPage } from '../../../platform/http/pagination';
import { newId } from '../../../platform/ids';
import { LedgerPostings } from '../ledger/ledger-postings.service';
import {
  BalanceTransactionKind,
  CustomerBalance,
  CustomerBalanceTransaction,
} from './customer-balance.entity';
import { preparedQuery } from '../../../platform/database/prepared-query';

export interface BalanceMovement {
  customerId: string;
  currency: string;
  /** Positive minor units; credit adds them, spend takes them. */
  amount: number;
  kind: BalanceTransactionKind;
  /** Unique per movement: a repeat with the same reference returns the first movement. */
  reference: string;
  description: string;
  createdBy: string;
  invoiceId?: string | null;
  subscriptionId?: string | null;
}

export function toBalanceTransactionView(entry: CustomerBalanceTransaction): BalanceTransactionView {
  return {
    id: entry.id,
    amount: { amount: entry.amount, currency: entry.currency },
    balanceAfter: { amount: entry.balanceAfter, currency: entry.currency },
    kind: entry.kind,
    description: entry.description,
    invoiceId: entry.invoiceId,
    subscriptionId: entry.subscriptionId,
    createdBy: entry.createdBy,
    createdAt: entry.createdAt.toISOString(),
  };
}

/**
 * Credit we owe customers, per currency, with a ledger of every movement. Movements run inside the
 * caller's transaction and lock the balance row, so concurrent credits and spends serialise.
 */
@Injectable()
export class CustomerBalances {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly ledger: LedgerPostings,
  ) {}

  /** The balance, locked until the caller commits; 0 when the customer never had credit. */
  async lockedBalance(manager: EntityManager, customerId: string, currency: string): Promise<number> {
    const row = await manager.findOne(CustomerBalance, {
      where: { customerId, currency },
      lock: { mode: 'pessimistic_write' },
    });
    return row?.balance ?? 0;
  }

  /** Balances above zero of many customers at once, locked (the billing run spends them). */
  async lockedPositiveBalances(
    manager: EntityManager,
    keys: ReadonlyArray<{ customerId: string; currency: string }>,
  ): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    const rows: Array<{ customer_id: string; currency: string; balance: string }> = await preparedQuery(
      manager,
      `SELECT customer_id, currency, balance FROM billing.customer_balances
        WHERE (customer_id, currency) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND balance > 0
        ORDER BY customer_id, currency FOR UPDATE`,
      [keys.map((key) => key.customerId), keys.map((key) => key.currency)],
    );
    for (const row of rows) found.set(`${row.customer_id}:${row.currency}`, Number(row.balance));
    return found;
  }

  credit(manager: EntityManager, movement: BalanceMovement): Promise<CustomerBalanceTransaction> {
    return this.move(manager, movement, 1);
  }

  /** Refuses (409) to spend more than the balance holds. */
  spend(manager: EntityManager, movement: BalanceMovement): Promise<CustomerBalanceTransaction> {
    return this.move(manager, movement, -1);
  }

  /**
   * Many movements in the caller's transaction, in their order, as `credit` and `spend` would make
   * them one by one (a repeated reference is skipped; a spend beyond the balance is a 409 that
   * rolls the caller back), in three statements whatever their number: the balances are created
   * if missing and locked (in key order), then updated with the movements inserted, then posted.
   */
  async moveMany(
    manager: EntityManager,
    movements: ReadonlyArray<{ movement: BalanceMovement; direction: 'credit' | 'spend' }>,
  ): Promise<CustomerBalanceTransaction[]> {
    if (movements.length === 0) return [];
    const planned = movements.map(({ movement, direction }) => {
      assertMovementAmount(movement.amount);
      return {
        movement,
        currency: parseCurrencyCode(movement.currency),
        sign: direction === 'credit' ? (1 as const) : (-1 as const),
      };
    });
    const keyOf = (customerId: string, currency: string): string => `${customerId}:${currency}`;
    const now = this.clock.now();
    const rows: Array<{
      customer_id: string | null;
      currency: string | null;
      balance: string | null;
      reference: string | null;
    }> = await preparedQuery(
      manager,
      `WITH b AS (
         INSERT INTO billing.customer_balances (customer_id, currency, balance, updated_at)
         SELECT DISTINCT customer_id, currency, 0, $3::timestamptz
           FROM unnest($1::text[], $2::text[]) AS k(customer_id, currency)
          ORDER BY 1, 2
         -- Creates the row on first use and locks it: every movement of the balance waits here.
         ON CONFLICT (customer_id, currency) DO UPDATE SET updated_at = billing.customer_balances.updated_at
         RETURNING customer_id, currency, balance::text AS balance
       )
       SELECT customer_id, currency, balance, NULL AS reference FROM b
       UNION ALL
       SELECT NULL, NULL, NULL, reference FROM billing.customer_balance_transactions WHERE reference = ANY($4::text[])`,
      [
        planned.map((item) => item.movement.customerId),
        planned.map((item) => item.currency),
        now,
        planned.map((item) => item.movement.reference),
      ],
    );
    const held = new Map<string, number>();
    const done = new Set<string>();
    for (const row of rows) {
      if (row.reference !== null) done.add(row.reference);
      else held.set(keyOf(row.customer_id as string, row.currency as string), Number(row.balance));
    }
    const entries: CustomerBalanceTransaction[] = [];
    for (const { movement, currency, sign } of planned) {
      if (done.has(movement.reference)) continue;
      done.add(movement.reference);
      const key = keyOf(movement.customerId, currency);
      const after = balanceAfter(held.get(key) ?? 0, movement, currency, sign);
      held.set(key, after);
      entries.push(entryOf(movement, currency, sign, after, now));
    }
    if (entries.length === 0) return [];
    const finals = [...new Map(entries.map((entry) => [keyOf(entry.customerId, entry.currency), entry]))];
    const of = <K extends keyof CustomerBalanceTransaction>(key: K): Array<CustomerBalanceTransaction[K]> =>
      entries.map((entry) => entry[key]);
    await preparedQuery(
      manager,
      `WITH u AS (
         UPDATE billing.customer_balances b SET balance = u.balance, updated_at = $4
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(customer_id, currency, balance)
          WHERE b.customer_id = u.customer_id AND b.currency = u.currency
       )
       INSERT INTO billing.customer_balance_transactions
         (id, customer_id, currency, amount, balance_after, kind, reference, invoice_id, subscription_id,
          description, created_by, created_at)
       SELECT id, customer_id, currency, amount, balance_after, kind, reference, invoice_id, subscription_id,
              description, created_by, $4
         FROM unnest($5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[],
                     $12::text[], $13::text[], $14::text[], $15::text[])
           AS t(id, customer_id, currency, amount, balance_after, kind, reference, invoice_id, subscription_id,
                description, created_by)`,
      [
        finals.map(([, entry]) => entry.customerId),
        finals.map(([, entry]) => entry.currency),
        finals.map(([, entry]) => entry.balanceAfter),
        now,
        of('id'),
        of('customerId'),
        of('currency'),
        of('amount'),
        of('balanceAfter'),
        of('kind'),
        of('reference'),
        of('invoiceId'),
        of('subscriptionId'),
        of('description'),
        of('createdBy'),
      ],
    );
    await this.ledger.balancesMoved(manager, entries);
    return entries;
  }

  async balancesOf(customerId: string): Promise<CustomerBalanceView> {
    const rows = await this.dataSource.getRepository(CustomerBalance).find({
      where: { customerId },
      order: { currency: 'ASC' },
    });
    return {
      customerId,
      balances: rows.map((row) => ({ amount: row.balance, currency: row.currency })),
    };
  }

  async transactionsOf(
    customerId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<BalanceTransactionView>> {
    const rows = await this.dataSource.getRepository(CustomerBalanceTransaction).find({
      where: page.cursor ? { customerId, id: LessThan(page.cursor) } : { customerId },
      order: { id: 'DESC' },
      take: page.limit + 1,
    });
    return toPage(rows, page.limit, toBalanceTransactionView);
  }

  private async move(
    manager: EntityManager,
    movement: BalanceMovement,
    sign: 1 | -1,
  ): Promise<CustomerBalanceTransaction> {
    const currency = parseCurrencyCode(movement.currency);
    assertMovementAmount(movement.amount);
    const previous = await manager.findOne(CustomerBalanceTransaction, {
      where: { reference: movement.reference },
    });
    if (previous) return previous;

    const now = this.clock.now();
    // Creates the row on first use, then locks it: every movement of this balance waits here.
    await preparedQuery(
      manager,
      `INSERT INTO billing.customer_balances (customer_id, currency, balance, updated_at)
       VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING`,
      [movement.customerId, currency, now],
    );
    const held = await this.lockedBalance(manager, movement.customerId, currency);
    const after = balanceAfter(held, movement, currency, sign);
    await manager.update(
      CustomerBalance,
      { customerId: movement.customerId, currency },
      { balance: after, updatedAt: now },
    );
    const entry = manager.create(CustomerBalanceTransaction, entryOf(movement, currency, sign, after, now));
    await manager.insert(CustomerBalanceTransaction, { ...entry });
    await this.ledger.balanceMoved(manager, entry);
    return entry;
  }
}

function assertMovementAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new AppError(
      422,
      'UNPROCESSABLE',
      `balance movement of ${amount} must be a positive whole number of minor units`,
    );
  }
}

/** The balance after a movement, in minor units; a spend beyond the balance is a 409. */
function balanceAfter(
  balance: number,
  movement: BalanceMovement,
  currency: CurrencyCode,
  sign: 1 | -1,
): number {
  const before = money(balance, currency);
  const amount = money(movement.amount, currency);
  const after = sign === 1 ? add(before, amount) : subtract(before, amount);
  if (after.amountMinor < 0) {
    throw new ConflictError(
      `customer ${movement.customerId} has ${before.amountMinor} ${currency} of credit, less than the ${movement.amount} to spend`,
    );
  }
  return after.amountMinor;
}

/** The ledger row of a movement. */
function entryOf(
  movement: BalanceMovement,
  currency: string,
  sign: 1 | -1,
  balanceAfter: number,
  createdAt: Date,
): CustomerBalanceTransaction {
  return {
    id: newId('cbt'),
    customerId: movement.customerId,
    currency,
    amount: sign * movement.amount,
    balanceAfter,
    kind: movement.kind,
    reference: movement.reference,
    invoiceId: movement.invoiceId ?? null,
    subscriptionId: movement.subscriptionId ?? null,
    description: movement.description,
    createdBy: movement.createdBy,
    createdAt,
  };
}
