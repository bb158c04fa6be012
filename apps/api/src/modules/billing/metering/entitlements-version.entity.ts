import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row whose version every change to features, plan grants, usage prices or alert definitions bumps
 * in its own transaction. Each entitlement check reads it with the customer's rows, so an in-memory copy
 * of the definitions is never used after a change has committed, in any process.
 */
@Entity({ schema: 'billing', name: 'entitlements_version' })
export class EntitlementsVersion {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'bigint' })
  version!: string;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
