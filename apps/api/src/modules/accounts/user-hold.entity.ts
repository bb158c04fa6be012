import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A customer support put on hold: accounts bought meanwhile wait in `on_hold` until released. */
@Entity({ schema: 'accounts', name: 'user_holds' })
export class UserHold {
  @PrimaryColumn({ type: 'text' })
  userId!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  createdBy!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
