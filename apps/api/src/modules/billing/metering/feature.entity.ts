import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { FeatureKind, UsageAggregation } from '@astrix/contracts';

/**
 * Something a customer may be entitled to: boolean (on/off), limit (a numeric cap) or metered (an
 * allowance consumed by usage). The id is the stable handle sibling services use, e.g. `api-calls`.
 */
@Entity({ schema: 'billing', name: 'features' })
@Check('ck_features_kind', `"kind" IN ('boolean', 'limit', 'metered')`)
@Check(
  'ck_features_aggregation',
  `("kind" = 'boolean' AND "aggregation" IS NULL) OR ("kind" <> 'boolean' AND "aggregation" IN ('sum', 'count', 'max', 'unique_count', 'latest'))`,
)
export class Feature {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text' })
  kind!: FeatureKind;

  @Column({ type: 'text', nullable: true })
  unit!: string | null;

  @Column({ type: 'text', nullable: true })
  aggregation!: UsageAggregation | null;

  /** The event property `unique_count` counts distinct values of. */
  @Column({ type: 'text', nullable: true })
  aggregationProperty!: string | null;

  @Column({ type: 'text', default: 'active' })
  status!: 'active' | 'archived';

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
