import { userInfo } from 'node:os';
import { Inject, Injectable, type INestApplicationContext } from '@nestjs/common';
import { moneyFromDecimal, parseCurrencyCode } from '@astrix/pricing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { AuditQueryService } from '../../../platform/audit/audit-query.service';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import {
  BillingRuns,
  CatalogService,
  CouponAdminService,
  CustomerDirectory,
  DunningDesk,
  InvoiceCorrections,
  RefundsService,
} from '../../billing';
import { Clock } from '../../../platform/clock';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';
export { confirm, print, type Row } from '../../../platform/cli/cli-io';
import { PayoutsService } from '../../payouts';

/** The operator at the keyboard: `cli:<os user>` in the audit log. */
export function operatorName(): string {
  let name = process.env.USER;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = 'unknown';
    }
  }
  return `cli:${name}`;
}

export function cliContext(): RequestContext {
  return { actor: { kind: 'system', name: operatorName() }, requestId: null };
}

/** Staff identity for actions that need a person (four-eyes approvals count distinct approvers). */
export function cliStaff(): UserActor {
  return { kind: 'user', userId: operatorName(), email: null, roles: ['finance'] };
}

/** What the commands act through: the other modules' public services and the audit log. */
export interface AdminServices {
  catalog: CatalogService;
  coupons: CouponAdminService;
  customers: CustomerDirectory;
  refunds: RefundsService;
  dunning: DunningDesk;
  invoiceCorrections: InvoiceCorrections;
  billingRuns: BillingRuns;
  payouts: PayoutsService;
  auditLog: AuditQueryService;
  clock: Clock;
}

/**
 * The same modules and services as the API (no HTTP, no workers), started only for the command
 * that needs them, so `db migrate` still runs before any table exists.
 */
@Injectable()
export class AdminCliServices {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {}

  async use<T>(work: (services: AdminServices) => Promise<T>): Promise<T> {
    const app: INestApplicationContext = await this.startApp();
    try {
      return await work({
        catalog: app.get(CatalogService, { strict: false }),
        coupons: app.get(CouponAdminService, { strict: false }),
        customers: app.get(CustomerDirectory, { strict: false }),
        refunds: app.get(RefundsService, { strict: false }),
        dunning: app.get(DunningDesk, { strict: false }),
        invoiceCorrections: app.get(InvoiceCorrections, { strict: false }),
        billingRuns: app.get(BillingRuns, { strict: false }),
        payouts: app.get(PayoutsService, { strict: false }),
        auditLog: app.get(AuditQueryService, { strict: false }),
        clock: app.get(Clock, { strict: false }),
      });
    } finally {
      // Queues connect in the background at start; closing before they are ready makes BullMQ emit
      // "Connection is closed" after its listeners are gone, which would crash a command that succeeded.
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
  }
}

/** "USD:299.00" → currency and minor units, through @astrix/pricing. */
export function parseAmountOption(value: string, flag: string): { currency: string; amount: number } {
  const match = /^([A-Za-z]{3}):(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!match) throw new Error(`${flag} must look like USD:299.00`);
  const currency = parseCurrencyCode(match[1].toUpperCase());
  return { currency, amount: moneyFromDecimal(match[2], currency).amountMinor };
}

export function parsePositiveInteger(value: string, flag: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw new Error(`${flag} must be a positive whole number`);
  return Number(value);
}
