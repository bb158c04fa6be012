import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../../../platform/database/transformers';

/** A feature a plan (a catalog product of kind subscription) grants, with its cap or allowance per period. */
@Entity({ schema: 'billing', name: 'plan_features' })
@Index('ix_plan_features_feature', ['featureId'])
export class PlanFeature {
  @PrimaryColumn({ type: 'text' })
  productId!: string;

  @PrimaryColumn({ type: 'text' })
  featureId!: string;

  /** Cap (limit features) or allowance per period (metered); null = unlimited. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintToNumber })
  limit!: number | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  /** Set when staff remove the feature from the plan: the row stays (financial history), unused. */
  @Column({ type: 'timestamptz', nullable: true })
  archivedAt!: Date | null;
}
