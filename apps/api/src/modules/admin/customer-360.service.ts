import { Injectable } from '@nestjs/common';
import type { Customer360View, CustomerSection, Page } from '@astrix/contracts';
import { AuditQueryService } from '../../platform/audit/audit-query.service';
import { AccountsService } from '../accounts/accounts.service';
import { BillingService } from '../billing/billing.service';
import { PayoutsService } from '../payouts/payouts.service';

export interface SectionPage {
  limit: number;
  cursor?: string;
}

/** Audit entries are looked up for this many of the customer's accounts and payouts (newest). */
const AUDITED_PER_KIND = 100;

/**
 * One customer across the three contexts, each asked through its public service: billing
 * (profile, charges, refunds, invoices, subscriptions, coupons, fraud signals), accounts, payouts,
 * and the audit log about all of them.
 */
@Injectable()
export class Customer360 {
  constructor(
    private readonly billing: BillingService,
    private readonly accounts: AccountsService,
    private readonly payouts: PayoutsService,
    private readonly auditLog: AuditQueryService,
  ) {}

  async view(customerId: string, limit: number): Promise<Customer360View> {
    const profile = await this.billing.customerProfile(customerId);
    const page = { limit };
    const [accounts, charges, refunds, invoices, subscriptions, coupons, fraudSignals, payouts, dunning, audit] =
      await Promise.all([
        this.accounts.list({ userId: profile.userId, ...page }),
        this.billing.customerCharges(profile.userId, page),
        this.billing.customerRefunds(profile.userId, page),
        this.billing.listInvoices(profile.userId, page),
        this.billing.customerSubscriptions(customerId, page),
        this.billing.customerCouponRedemptions(customerId, page),
        this.billing.customerFraudSignals(customerId, page),
        this.payouts.list({ userId: profile.userId, ...page }),
        this.billing.dunningOfCustomer(customerId, page),
        this.audit(customerId, profile.userId, page),
      ]);
    return {
      profile,
      accounts,
      charges,
      refunds,
      invoices,
      subscriptions,
      coupons,
      fraudSignals,
      payouts,
      dunning,
      audit,
    };
  }

  /** The next page of one section (404 for an unknown customer). */
  async section(customerId: string, section: CustomerSection, page: SectionPage): Promise<Page<unknown>> {
    const { userId } = await this.billing.customerProfile(customerId);
    switch (section) {
      case 'accounts':
        return this.accounts.list({ userId, ...page });
      case 'charges':
        return this.billing.customerCharges(userId, page);
      case 'refunds':
        return this.billing.customerRefunds(userId, page);
      case 'invoices':
        return this.billing.listInvoices(userId, page);
      case 'subscriptions':
        return this.billing.customerSubscriptions(customerId, page);
      case 'coupons':
        return this.billing.customerCouponRedemptions(customerId, page);
      case 'fraud-signals':
        return this.billing.customerFraudSignals(customerId, page);
      case 'payouts':
        return this.payouts.list({ userId, ...page });
      case 'dunning':
        return this.billing.dunningOfCustomer(customerId, page);
      case 'audit':
        return this.audit(customerId, userId, page);
    }
  }

  /** Entries about the customer's records in every context, and what the customer did themselves. */
  private async audit(customerId: string, userId: string, page: SectionPage) {
    const [billingIds, accounts, payouts] = await Promise.all([
      this.billing.customerAuditResourceIds(customerId),
      this.accounts.list({ userId, limit: AUDITED_PER_KIND }),
      this.payouts.list({ userId, limit: AUDITED_PER_KIND }),
    ]);
    const resourceIds = [
      ...billingIds,
      ...accounts.data.map((account) => account.id),
      ...payouts.data.map((payout) => payout.id),
    ];
    return this.auditLog.list({ anyOf: { resourceIds, actor: userId }, ...page });
  }
}
