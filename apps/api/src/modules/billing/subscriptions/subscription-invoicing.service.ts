import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { InvoiceBillingReason } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import type { CommitWith } from '../../../platform/database/commit-together';
import type { SqlStatement } from '../../../platform/database/statements-together';
import type { Invoice } from '../invoicing/invoice.entity';
import { InvoiceWriter } from '../invoicing/invoice-writer.service';
import type { DraftInvoice } from './invoice-drafts';
import type { Subscription } from './subscription.entity';

export interface InvoiceToIssue {
  subscription: Pick<Subscription, 'id' | 'customerId' | 'userId'>;
  customerEmail: string | null;
  reason: InvoiceBillingReason;
  /** One invoice per key: (subscription, period) for renewals. */
  idempotencyKey: string;
  periodStart: Date;
  periodEnd: Date;
  draft: DraftInvoice;
  /** How a negative total reaches the balance; default a plan change's credit. */
  creditKind?: 'downgrade_credit' | 'cancellation_credit';
}

/**
 * Subscription invoices, issued through invoicing's InvoiceWriter (the only writer of invoices):
 * finalized at once, many per statement, customer credit spent first.
 */
@Injectable()
export class SubscriptionInvoicing {
  constructor(private readonly writer: InvoiceWriter) {}

  issueMany(
    manager: EntityManager,
    items: readonly InvoiceToIssue[],
    issuedAt: Date,
    context: RequestContext,
    /** As InvoiceWriter.issue's: work before numbering, and a statement to run after it. */
    beforeNumbering?: (invoices: Invoice[]) => Promise<SqlStatement | null>,
    /** As InvoiceWriter.issue's: ends the caller's transaction with the last statements. */
    commitWith?: CommitWith,
  ): Promise<Invoice[]> {
    return this.writer.issue(
      manager,
      items.map((item) => ({
        customerId: item.subscription.customerId,
        userId: item.subscription.userId,
        subscriptionId: item.subscription.id,
        customerEmail: item.customerEmail,
        billingReason: item.reason,
        idempotencyKey: item.idempotencyKey,
        periodStart: item.periodStart,
        periodEnd: item.periodEnd,
        draft: item.draft,
        creditKind: item.creditKind,
      })),
      issuedAt,
      context,
      beforeNumbering,
      commitWith,
    );
  }
}
