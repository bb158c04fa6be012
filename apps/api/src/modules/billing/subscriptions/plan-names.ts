import type { EntityManager } from 'typeorm';
import { Product } from '../catalog/product.entity';

/** The plan's product name for invoice lines; the product may be archived since. */
export async function planNameOf(manager: EntityManager, productId: string): Promise<string> {
  return (await manager.findOne(Product, { where: { id: productId } }))?.name ?? productId;
}
