import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ProductAttributes, ProductKind } from '@astrix/contracts';

export type ProductStatus = 'active' | 'archived';

/** Something a trader can buy. Archived products stay for history but cannot be bought. */
@Entity({ schema: 'billing', name: 'products' })
@Index('ix_products_status_kind', ['status', 'kind'])
export class Product {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  kind!: ProductKind;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb', default: {} })
  attributes!: ProductAttributes;

  /** Stable handle for seeds and scripts, e.g. `evaluation-50k`. */
  @Index('uq_products_slug', { unique: true })
  @Column({ type: 'text' })
  slug!: string;

  @Column({ type: 'text' })
  status!: ProductStatus;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
