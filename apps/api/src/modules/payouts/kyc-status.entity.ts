import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { KycStatus } from '@astrix/contracts';

/** The identity service's latest KYC verdict per user; no row means not verified. */
@Entity({ schema: 'payouts', name: 'kyc_statuses' })
export class KycStatusRecord {
  @PrimaryColumn({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  status!: KycStatus;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
