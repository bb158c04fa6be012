import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per (consumer, event) processed: the consumer's effects and this row commit together. */
@Entity({ schema: 'platform', name: 'inbox_entries' })
export class InboxEntry {
  @PrimaryColumn({ type: 'text' })
  consumer!: string;

  @PrimaryColumn({ type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  eventType!: string;

  @Column({ type: 'timestamptz' })
  processedAt!: Date;
}
