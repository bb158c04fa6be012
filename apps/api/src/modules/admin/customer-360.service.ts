import { Injectable } from '@nestjs/common';
import type { Customer360View, CustomerSection, Page } from '@astrix/contracts';
import { AuditQueryService } from '../../platform/audit/audit-query.service';
import { AccountsService } from '../accounts';
import { CustomerDirectory, DunningDesk, InvoicesService, type SectionPage } from '../billing';
import { PayoutsService } from '../payouts';

/** Audit entries are looked up for this many of the customer's accounts and payouts (newest). */
const AUDITED_PER_KIND = 100;

/**
 * One customer across the three contexts, each asked through its public surface: billing's
 * customer directory (profile, charges, refunds, subscriptions, coupons, fraud signals), invoices
 * and dunning; accounts; payouts; and the audit log about all of them.
 */
@Injectable()
export class Customer360 {
  constructor(
    private readonly directory: CustomerDirectory,
    private readonly invoices: InvoicesService,
    private readonly dunning: DunningDesk,
    private readonly accounts: AccountsService,
    private readonly payouts: PayoutsService,
    private readonly auditLog: AuditQueryService,
  ) {}

  async view(customerId: string, limit: number): Promise<Customer360View> {
    const profile = await this.directory.profile(customerId);
    const page = { limit };
    const [
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
    ] = await Promise.all([
      this.accounts.list({ userId: profile.userId, ...page }),
      this.directory.charges(profile.userId, page),
      this.directory.refunds(profile.userId, page),
      this.invoices.listForUser(profile.userId, page),
      this.directory.subscriptions(customerId, page),
      this.directory.couponRedemptions(customerId, page),
      this.directory.fraudSignals(customerId, page),
      this.payouts.list({ userId: profile.userId, ...page }),
      this.dunning.list({ customerId }, page),
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
    const { userId } = await this.directory.profile(customerId);
    switch (section) {
      case 'accounts':
        return this.accounts.list({ userId, ...page });
      case 'charges':
        return this.directory.charges(userId, page);
      case 'refunds':
        return this.directory.refunds(userId, page);
      case 'invoices':
        return this.invoices.listForUser(userId, page);
      case 'subscriptions':
        return this.directory.subscriptions(customerId, page);
      case 'coupons':
        return this.directory.couponRedemptions(customerId, page);
      case 'fraud-signals':
        return this.directory.fraudSignals(customerId, page);
      case 'payouts':
        return this.payouts.list({ userId, ...page });
      case 'dunning':
        return this.dunning.list({ customerId }, page);
      case 'audit':
        return this.audit(customerId, userId, page);
    }
  }

  /** Entries about the customer's records in every context, and what the customer did themselves. */
  private async audit(customerId: string, userId: string, page: SectionPage) {
    const [billingIds, accounts, payouts] = await Promise.all([
      this.directory.auditResourceIds(customerId),
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
