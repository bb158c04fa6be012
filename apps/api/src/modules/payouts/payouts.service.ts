import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, LessThan } from 'typeorm';
import type {
  BalanceSnapshotRequest,
  KycStatusUpdate,
  Page,
  PayoutEligibilityView,
  PayoutRequest,
  PayoutStatus,
  PayoutView,
} from '@astrix/contracts';
import { allocate, money, parseCurrencyCode } from '@astrix/pricing';
import { type PaymentProcessor } from '@astrix/stripe-client';
import { actorReference, RequestContext, UserActor } from '../../platform/auth/actor';
import { AuditService } from '../../platform/audit/audit.service';
import { Clock } from '../../platform/clock';
import { OutboxService } from '../../platform/events/outbox.service';
import { AppError, ConflictError, NotFoundError } from '../../platform/http/app-error';
import { toPage } from '../../platform/http/pagination';
import { newId } from '../../platform/ids';
import { JobQueue } from '../../platform/queues/job-queue.service';
import { AccountsService } from '../accounts';
import { InjectPaymentProcessor } from '../../platform/payment-processor/payment-processor.provider';
import { KycStatusRecord } from './kyc-status.entity';
import { PayoutAccount } from './payout-account.entity';
import { PayoutDestination } from './payout-destination.entity';
import { PayoutEligibility } from './payout-eligibility.service';
import { PayoutExecution } from './payout-execution.service';
import { PayoutJournal } from './payout-journal.service';
import { PayoutLedger } from './payout-ledger.service';
import { executeJobId } from './payout-recovery.service';
import { type PayoutRules, requiresSecondApproval } from './payout-rules';
import { payoutEventData, toPayoutView } from './payout-views';
import { Payout } from './payout.entity';
import { ProductPayoutRules } from './product-payout-rules.entity';

export interface PayoutFilter {
  userId?: string;
  status?: PayoutStatus;
  limit: number;
  cursor?: string;
}

/** The payouts context's public interface: requests, approvals and the inputs they depend on. */
@Injectable()
export class PayoutsService {
  private readonly logger = new Logger(PayoutsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly eligibility: PayoutEligibility,
    private readonly ledger: PayoutLedger,
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly jobs: JobQueue,
    private readonly execution: PayoutExecution,
    private readonly clock: Clock,
    private readonly journal: PayoutJournal,
  ) {}

  async eligibilityFor(userId: string, accountId: string): Promise<PayoutEligibilityView> {
    return (await this.eligibility.assess(this.dataSource.manager, accountId, userId)).view;
  }

  /**
   * Reserves the amount at once: the account's payout row is locked while the balance is assessed and
   * the reservation written, so concurrent requests see each other. Small payouts approve themselves.
   */
  async request(user: UserActor, request: PayoutRequest, context: RequestContext): Promise<PayoutView> {
    const destination =
      request.method === 'stripe_connect'
        ? await this.dataSource.getRepository(PayoutDestination).findOne({ where: { userId: user.userId } })
        : null;
    if (request.method === 'stripe_connect' && !destination) {
      throw new AppError(422, 'NO_PAYOUT_DESTINATION', 'register a Stripe connected account first');
    }
    return this.dataSource.transaction(async (manager) => {
      await this.accounts.get(request.accountId, user.userId);
      const locked = await manager.findOne(PayoutAccount, {
        where: { accountId: request.accountId },
        lock: { mode: 'pessimistic_write' },
      });
      const assessment = await this.eligibility.assess(manager, request.accountId, user.userId);
      const { view } = assessment;
      const amount = request.amount ?? view.amountAvailable;
      if (request.amount !== undefined && view.reasons.length === 0 && amount > view.amountAvailable) {
        const aboveCap = amount <= view.amountAvailable + view.split.withheldByCap;
        throw new AppError(
          422,
          aboveCap ? 'ABOVE_CAP' : 'AMOUNT_EXCEEDS_AVAILABLE',
          `${amount} is more than the ${view.amountAvailable} ${view.currency} available${aboveCap ? ' under the cycle cap' : ''}`,
        );
      }
      if (!locked || !view.eligible || amount < assessment.rules.minimumPayout) {
        const reasons = view.reasons.length > 0 ? view.reasons : ['below_minimum'];
        throw new AppError(422, 'NOT_ELIGIBLE', `the account cannot pay out now: ${reasons.join(', ')}`, [
          ...reasons.map((reason) => ({ field: 'accountId', message: reason })),
        ]);
      }
      const currency = parseCurrencyCode(view.currency);
      const [profitConsumed] = allocate(money(assessment.profit, currency), [
        String(amount),
        String(assessment.traderAmount - amount),
      ]);
      const now = this.clock.now();
      const payout = manager.create(Payout, {
        id: newId('po'),
        accountId: request.accountId,
        userId: user.userId,
        method: request.method,
        status: 'requested',
        amount,
        profitConsumed: profitConsumed.amountMinor,
        currency: view.currency,
        destination: destination?.stripeAccountId ?? null,
        requiresSecondApproval: requiresSecondApproval(assessment.rules, amount),
        approvals: [],
        attempt: 1,
        requestedAt: now,
        updatedAt: now,
      });
      await manager.insert(Payout, payout);
      await this.ledger.append(manager, payout, 'reservation', amount);
      await this.journal.reserved(manager, payout);
      await this.outbox.append(manager, {
        type: 'payouts.payout.requested',
        subject: payout.id,
        data: payoutEventData(payout),
        correlationId: context.requestId,
      });
      await this.audit.record(manager, context, {
        action: 'payout.requested',
        resourceType: 'payout',
        resourceId: payout.id,
        after: { amount, method: payout.method },
      });
      if (!payout.requiresSecondApproval) await this.approveNow(manager, payout, 'auto-approval', context);
      return toPayoutView(payout);
    });
  }

  async list(filter: PayoutFilter): Promise<Page<PayoutView>> {
    const where: FindOptionsWhere<Payout> = {
      ...(filter.userId !== undefined ? { userId: filter.userId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.cursor ? { id: LessThan(filter.cursor) } : {}),
    };
    const rows = await this.dataSource
      .getRepository(Payout)
      .find({ where, order: { id: 'DESC' }, take: filter.limit + 1 });
    return toPage(rows, filter.limit, toPayoutView);
  }

  /** Someone else's payout is not found. */
  async get(payoutId: string, userId?: string): Promise<PayoutView> {
    const payout = await this.dataSource
      .getRepository(Payout)
      .findOne({ where: { id: payoutId, ...(userId !== undefined ? { userId } : {}) } });
    if (!payout) throw new NotFoundError('payout', payoutId);
    return toPayoutView(payout);
  }

  cancel(userId: string, payoutId: string, context: RequestContext): Promise<PayoutView> {
    return this.change(payoutId, context, 'payout.canceled', async (manager, payout) => {
      if (payout.userId !== userId) throw new NotFoundError('payout', payoutId);
      this.expectStatus(payout, ['requested']);
      await this.close(manager, payout, 'canceled', null, context);
    });
  }

  /**
   * Finance approves; above the four-eyes amount a second, different approver completes it. Approvals
   * run under the payout's row lock, so racing approvals by one person count once.
   */
  approve(payoutId: string, staff: UserActor, context: RequestContext): Promise<PayoutView> {
    return this.change(payoutId, context, 'payout.approved', async (manager, payout) => {
      this.expectStatus(payout, ['requested']);
      // Four eyes: nobody approves money paid to themselves, whatever roles they hold.
      if (staff.userId === payout.userId) {
        throw new AppError(403, 'SELF_APPROVAL', 'the beneficiary of a payout cannot approve it');
      }
      if (payout.approvals.some((approval) => approval.approvedBy === staff.userId)) {
        throw new ConflictError('a second approval must come from a different staff member', 'SAME_APPROVER');
      }
      payout.approvals = [
        ...payout.approvals,
        { approvedBy: staff.userId, approvedAt: this.clock.now().toISOString() },
      ];
      const needed = payout.requiresSecondApproval ? 2 : 1;
      if (payout.approvals.length >= needed) await this.approveNow(manager, payout, staff.userId, context);
      else
        await manager.update(
          Payout,
          { id: payout.id },
          { approvals: payout.approvals, updatedAt: this.clock.now() },
        );
    });
  }

  reject(payoutId: string, reason: string, context: RequestContext): Promise<PayoutView> {
    return this.change(payoutId, context, 'payout.rejected', async (manager, payout) => {
      this.expectStatus(payout, ['requested']);
      await this.close(manager, payout, 'rejected', reason, context);
    });
  }

  /** Runs a failed payout again; the reservation was kept for it. */
  async retry(payoutId: string, context: RequestContext): Promise<PayoutView> {
    let attempt = 0;
    const view = await this.change(payoutId, context, 'payout.retried', async (manager, payout) => {
      this.expectStatus(payout, ['failed']);
      // Without an answer the last transfer may exist: the same idempotency key finds it instead of paying twice.
      attempt = payout.outcomeUnknown ? payout.attempt : payout.attempt + 1;
      await manager.update(
        Payout,
        { id: payout.id },
        {
          status: 'approved',
          attempt,
          failureReason: null,
          outcomeUnknown: false,
          updatedAt: this.clock.now(),
        },
      );
    });
    // An unknown outcome keeps the attempt, so its job id too: requeue replaces the finished job.
    // The retry has committed: if Redis fails now, the stranded payout sweep enqueues the job.
    const jobId = executeJobId(payoutId, attempt);
    try {
      await this.jobs.requeue({ name: 'payouts.execute-payout', payload: { payoutId, attempt }, jobId });
    } catch (error) {
      this.logger.warn(
        `payout ${payoutId}: ${jobId} not enqueued (${(error as Error).message}); the stranded payout sweep will`,
      );
    }
    return view;
  }

  /** Approved bank and crypto payouts waiting for finance or the crypto desk to pay them by hand. */
  async manualQueue(method: 'bank_transfer' | 'crypto'): Promise<PayoutView[]> {
    const rows = await this.dataSource
      .getRepository(Payout)
      .find({ where: { method, status: 'processing' }, order: { id: 'ASC' } });
    return rows.map(toPayoutView);
  }

  /** Finance paid a bank or crypto payout by hand: record its reference; settles it like a transfer. */
  async markPaidManually(payoutId: string, reference: string, context: RequestContext): Promise<PayoutView> {
    const payout = await this.dataSource.getRepository(Payout).findOne({ where: { id: payoutId } });
    if (!payout) throw new NotFoundError('payout', payoutId);
    if (payout.method === 'stripe_connect') {
      throw new ConflictError('Stripe payouts are settled by Stripe, not by hand', 'NOT_MANUAL');
    }
    this.expectStatus(payout, ['processing']);
    await this.execution.markPaid(payoutId, reference);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, context, {
        action: 'payout.paid_manually',
        resourceType: 'payout',
        resourceId: payoutId,
        after: { reference, method: payout.method },
      }),
    );
    return this.get(payoutId);
  }

  async recordBalance(snapshot: BalanceSnapshotRequest): Promise<{ accountId: string; balance: number }> {
    await this.accounts.get(snapshot.accountId);
    const reportedAt = new Date(snapshot.reportedAt);
    // Snapshots arrive in any order: only a newer one replaces the balance.
    await this.dataSource.query(
      `INSERT INTO payouts.accounts (account_id, balance, balance_reported_at, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (account_id) DO UPDATE SET balance = EXCLUDED.balance, balance_reported_at = EXCLUDED.balance_reported_at, updated_at = now()
       WHERE payouts.accounts.balance_reported_at < EXCLUDED.balance_reported_at`,
      [snapshot.accountId, snapshot.balance, reportedAt],
    );
    return { accountId: snapshot.accountId, balance: snapshot.balance };
  }

  async recordKyc(update: KycStatusUpdate): Promise<KycStatusUpdate> {
    await this.dataSource.query(
      `INSERT INTO payouts.kyc_statuses (user_id, status, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
       WHERE payouts.kyc_statuses.updated_at < EXCLUDED.updated_at`,
      [update.userId, update.status, new Date(update.updatedAt)],
    );
    const stored = await this.dataSource
      .getRepository(KycStatusRecord)
      .findOneOrFail({ where: { userId: update.userId } });
    return { userId: stored.userId, status: stored.status, updatedAt: stored.updatedAt.toISOString() };
  }

  /** The trader's connected account must be able to receive transfers. */
  async registerStripeDestination(
    userId: string,
    stripeAccountId: string,
  ): Promise<{ stripeAccountId: string }> {
    const connected = await this.processor.getConnectedAccount(stripeAccountId).catch(() => null);
    if (connected?.transfersCapability !== 'active') {
      throw new AppError(422, 'INVALID_DESTINATION', `${stripeAccountId} cannot receive transfers`);
    }
    await this.dataSource
      .getRepository(PayoutDestination)
      .upsert({ userId, stripeAccountId, updatedAt: this.clock.now() }, ['userId']);
    return { stripeAccountId };
  }

  async setProductRules(
    productId: string,
    rules: Partial<PayoutRules>,
    context: RequestContext,
  ): Promise<PayoutRules> {
    return this.dataSource.transaction(async (manager) => {
      await manager.upsert(ProductPayoutRules, { productId, rules, updatedAt: this.clock.now() }, [
        'productId',
      ]);
      await this.audit.record(manager, context, {
        action: 'payout_rules.updated',
        resourceType: 'product',
        resourceId: productId,
        after: { ...rules },
      });
      return this.eligibility.rulesFor(manager, productId);
    });
  }

  private async approveNow(
    manager: EntityManager,
    payout: Payout,
    approvedBy: string,
    context: RequestContext,
  ): Promise<void> {
    payout.status = 'approved';
    payout.updatedAt = this.clock.now();
    await manager.update(
      Payout,
      { id: payout.id },
      { status: 'approved', approvals: payout.approvals, updatedAt: payout.updatedAt },
    );
    await this.outbox.append(manager, {
      type: 'payouts.payout.approved',
      subject: payout.id,
      data: payoutEventData(payout, approvedBy === 'auto-approval' ? 'auto-approval' : null),
      correlationId: context.requestId,
    });
  }

  /** Rejected or canceled: the reservation goes back to the trader's share. */
  private async close(
    manager: EntityManager,
    payout: Payout,
    status: 'rejected' | 'canceled',
    reason: string | null,
    context: RequestContext,
  ): Promise<void> {
    payout.status = status;
    payout.rejectionReason = reason;
    payout.updatedAt = this.clock.now();
    await manager.update(
      Payout,
      { id: payout.id },
      { status, rejectionReason: reason, updatedAt: payout.updatedAt },
    );
    await this.ledger.append(manager, payout, 'release', payout.amount);
    await this.journal.released(manager, payout, payout.updatedAt);
    if (status === 'rejected') {
      await this.outbox.append(manager, {
        type: 'payouts.payout.rejected',
        subject: payout.id,
        data: payoutEventData(payout, reason),
        correlationId: context.requestId,
      });
    }
  }

  private expectStatus(payout: Payout, allowed: PayoutStatus[]): void {
    if (!allowed.includes(payout.status)) {
      throw new ConflictError(`payout ${payout.id} is ${payout.status}`, 'INVALID_PAYOUT_STATE');
    }
  }

  /** Locks the payout, applies a change and audits it with the acting person. */
  private async change(
    payoutId: string,
    context: RequestContext,
    action: string,
    apply: (manager: EntityManager, payout: Payout) => Promise<void>,
  ): Promise<PayoutView> {
    await this.dataSource.transaction(async (manager) => {
      const payout = await manager.findOne(Payout, {
        where: { id: payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!payout) throw new NotFoundError('payout', payoutId);
      const before = { status: payout.status };
      await apply(manager, payout);
      await this.audit.record(manager, context, {
        action,
        resourceType: 'payout',
        resourceId: payoutId,
        before,
        after: { actor: actorReference(context.actor).id },
      });
    });
    return this.get(payoutId);
  }

  /** Payouts paid in [from, to) per UTC period and currency, for finance's reports. */
  async paidTotals(range: {
    from: Date;
    to: Date;
    groupBy: 'day' | 'week' | 'month';
  }): Promise<Array<{ period: string; currency: string; payouts: number; amount: number }>> {
    const rows = (await this.dataSource.query(
      `SELECT to_char(date_trunc($3, paid_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period, currency,
              count(*)::int AS payouts, sum(amount)::bigint AS amount
         FROM payouts.payouts WHERE status = 'paid' AND paid_at >= $1 AND paid_at < $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [range.from, range.to, range.groupBy],
    )) as Array<{ period: string; currency: string; payouts: number; amount: string }>;
    return rows.map((row) => ({
      period: row.period,
      currency: row.currency,
      payouts: row.payouts,
      amount: money(row.amount, parseCurrencyCode(row.currency)).amountMinor,
    }));
  }
}
