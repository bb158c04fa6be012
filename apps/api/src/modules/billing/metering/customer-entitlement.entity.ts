import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CustomerEntitlementKind } from '@astrix/contracts';
import { bigintToNumber } from '../../../platform/database/transformers';

/**
 * Staff's grant or override of one feature for one customer, optionally expiring. Rows are never
 * deleted: replacing or revoking one stamps `revokedAt`, so at most one per customer and feature is live.
 */
@Entity({ schema: 'billing', name: 'customer_entitlements' })
@Check('ck_customer_entitlements_kind', `"kind" IN ('grant', 'override')`)
@Index('uq_customer_entitlements_live', ['customerId', 'featureId'], {
  unique: true,
  where: '"revoked_at" IS NULL',
})
@Index('ix_customer_entitlements_customer', ['customerId', 'id'])
export class CustomerEntitlement {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  featureId!: string;

  @Column({ type: 'text' })
  kind!: CustomerEntitlementKind;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  /** Cap or allowance; null = unlimited (or, for an override, the plan's). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintToNumber })
  limit!: number | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedBy!: string | null;
}
