import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A stretch of a subscription's usage closed before its period's end (cancel now, pause, plan change
 * now): its usage is priced on the plan it accrued on (`productId`) and invoiced once, on the final
 * invoice (cancel) or the subscription's next invoice, which records its key here.
 */
@Entity({ schema: 'billing', name: 'usage_periods' })
@Check('ck_usage_periods_window', '"period_start" < "period_end"')
@Index('ix_usage_periods_subscription', ['subscriptionId', 'periodEnd'])
export class UsagePeriod {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  subscriptionId!: string;

  @Column({ type: 'text' })
  customerId!: string;

  /** The plan in force while the usage accrued. */
  @Column({ type: 'text' })
  productId!: string;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'timestamptz' })
  periodEnd!: Date;

  /** What closed it: cancel, pause, plan_change. */
  @Column({ type: 'text' })
  closedBy!: string;

  /** The idempotency key of the invoice that billed it; null while waiting for the next invoice. */
  @Column({ type: 'text', nullable: true })
  invoiceKey!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  invoicedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
