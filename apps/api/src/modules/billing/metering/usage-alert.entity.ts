import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { UsageAlertKind } from '@astrix/contracts';
import { bigintToNumber } from '../../../platform/database/transformers';

/** A threshold on a feature's usage per period, for one customer or (customerId null) for everyone. */
@Entity({ schema: 'billing', name: 'usage_alerts' })
@Check('ck_usage_alerts_kind', `"kind" IN ('percent_of_allowance', 'quantity', 'amount')`)
@Check('ck_usage_alerts_threshold', '"threshold" > 0')
@Index('ix_usage_alerts_feature', ['featureId', 'customerId'])
export class UsageAlert {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', nullable: true })
  customerId!: string | null;

  @Column({ type: 'text' })
  featureId!: string;

  @Column({ type: 'text' })
  kind!: UsageAlertKind;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  threshold!: number;

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

/** An alert that fired for a customer in a period: the key makes the event once per period. */
@Entity({ schema: 'billing', name: 'usage_alert_firings' })
export class UsageAlertFiring {
  @PrimaryColumn({ type: 'text' })
  alertId!: string;

  @PrimaryColumn({ type: 'text' })
  customerId!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  used!: number;

  @Column({ type: 'timestamptz' })
  firedAt!: Date;
}

/**
 * A customer and feature whose usage grew and whose alerts are still to be evaluated. Written in the
 * same statement as the events, so a process that dies before evaluating leaves it for the sweep;
 * `markedBy` names the batch that wrote it last, which alone may clear it.
 */
@Entity({ schema: 'billing', name: 'usage_alert_pending' })
@Index('ix_usage_alert_pending_marked_at', ['markedAt'])
export class UsageAlertPending {
  @PrimaryColumn({ type: 'text' })
  customerId!: string;

  @PrimaryColumn({ type: 'text' })
  featureId!: string;

  @Column({ type: 'text' })
  markedBy!: string;

  @Column({ type: 'timestamptz' })
  markedAt!: Date;
}
