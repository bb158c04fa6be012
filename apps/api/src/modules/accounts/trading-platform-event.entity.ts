import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AccountView } from '@astrix/contracts';

/** A trading-platform outcome we applied, by the platform's event id: a repeat gets the same answer. */
@Entity({ schema: 'accounts', name: 'trading_platform_events' })
export class TradingPlatformEvent {
  @PrimaryColumn({ type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  accountId!: string;

  /** SHA-256 of the canonical request (account id + body): the same id with another body is refused. */
  @Column({ type: 'text' })
  requestHash!: string;

  @Column({ type: 'jsonb' })
  response!: AccountView;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;
}
