import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan } from 'typeorm';
import type { BalanceTransactionView, CustomerBalanceView, Page } from '@astrix/contracts';
import { add, money, parseCurrencyCode, subtract } from '@astrix/pricing';
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
    const rows: Array<{ customer_id: string; currency: string; balance: string }> = await manager.query(
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
    if (!Number.isSafeInteger(movement.amount) || movement.amount <= 0) {
      throw new AppError(
        422,
        'UNPROCESSABLE',
        `balance movement of ${movement.amount} must be a positive whole number of minor units`,
      );
    }
    const previous = await manager.findOne(CustomerBalanceTransaction, {
      where: { reference: movement.reference },
    });
    if (previous) return previous;

    const now = this.clock.now();
    // Creates the row on first use, then locks it: every movement of this balance waits here.
    await manager.query(
      `INSERT INTO billing.customer_balances (customer_id, currency, balance, updated_at)
       VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING`,
      [movement.customerId, currency, now],
    );
    const held = money(await this.lockedBalance(manager, movement.customerId, currency), currency);
    const amount = money(movement.amount, currency);
    const after = sign === 1 ? add(held, amount) : subtract(held, amount);
    if (after.amountMinor < 0) {
      throw new ConflictError(
        `customer ${movement.customerId} has ${held.amountMinor} ${currency} of credit, less than the ${movement.amount} to spend`,
      );
    }
    await manager.update(
      CustomerBalance,
      { customerId: movement.customerId, currency },
      { balance: after.amountMinor, updatedAt: now },
    );
    const entry = manager.create(CustomerBalanceTransaction, {
      id: newId('cbt'),
      customerId: movement.customerId,
      currency,
      amount: sign * movement.amount,
      balanceAfter: after.amountMinor,
      kind: movement.kind,
      reference: movement.reference,
      invoiceId: movement.invoiceId ?? null,
      subscriptionId: movement.subscriptionId ?? null,
      description: movement.description,
      createdBy: movement.createdBy,
      createdAt: now,
    });
    await manager.insert(CustomerBalanceTransaction, { ...entry });
    await this.ledger.balanceMoved(manager, entry);
    return entry;
  }
}
