import type { EntityManager } from 'typeorm';
import { preparedQuery } from '../../../platform/database/prepared-query';

/** The plans' names and the customers' emails a billing run batch's invoices carry. */
export interface BatchNames {
  products: Array<{ id: string; name: string }>;
  customers: Array<{ id: string; email: string | null }>;
}

/** Read in one statement. */
export async function batchNames(
  manager: EntityManager,
  productIds: readonly string[],
  customerIds: readonly string[],
): Promise<BatchNames> {
  const [names]: BatchNames[] = await preparedQuery(
    manager,
    `SELECT (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name)), '[]')
               FROM billing.products WHERE id = ANY($1::text[])) AS products,
            (SELECT coalesce(json_agg(json_build_object('id', id, 'email', email)), '[]')
               FROM billing.customers WHERE id = ANY($2::text[])) AS customers`,
    [productIds, [...new Set(customerIds)]],
  );
  return names;
}
