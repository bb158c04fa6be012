import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { BillingDetailsView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { AuditService } from '../../../platform/audit/audit.service';
import { Clock } from '../../../platform/clock';
import { newId } from '../../../platform/ids';
import { Customer } from './customer.entity';
import type { PayingUser } from './customers.service';

const viewOf = (
  customer: Pick<Customer, 'billingName' | 'billingAddress' | 'email'> | null,
): BillingDetailsView => ({
  name: customer?.billingName ?? null,
  address: customer?.billingAddress ?? null,
  email: customer?.email ?? null,
});

/** The name and postal address a customer's invoices and credit notes are addressed to. */
@Injectable()
export class BillingDetails {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async get(userId: string): Promise<BillingDetailsView> {
    return viewOf(await this.dataSource.getRepository(Customer).findOne({ where: { userId } }));
  }

  /** Sets both (null clears one); documents rendered from now on carry them. Audited. */
  async set(
    user: PayingUser,
    details: { name: string | null; address: string | null },
    context: RequestContext,
  ): Promise<BillingDetailsView> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO NOTHING`,
        [newId('cust'), user.userId, user.email, this.clock.now()],
      );
      const customer = await manager.findOneOrFail(Customer, {
        where: { userId: user.userId },
        lock: { mode: 'pessimistic_write' },
      });
      const before = viewOf(customer);
      await manager.update(
        Customer,
        { id: customer.id },
        { billingName: details.name, billingAddress: details.address },
      );
      const after = viewOf({ ...customer, billingName: details.name, billingAddress: details.address });
      await this.audit.record(manager, context, {
        action: 'customer.billing_details_updated',
        resourceType: 'customer',
        resourceId: customer.id,
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }
}
