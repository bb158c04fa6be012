import { Inject, Injectable, type INestApplicationContext } from '@nestjs/common';
import { moneyFromDecimal, parseCurrencyCode } from '@astrix/pricing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { AuditQueryService } from '../../../platform/audit/audit-query.service';
import type { RequestContext, StaffRole, UserActor } from '../../../platform/auth/actor';
import { JwtVerifier } from '../../../platform/auth/jwt-verifier';
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

/** Where the staff token comes from when `--token` is absent: the environment, kept out of `ps` and history. */
export const STAFF_TOKEN_ENV = 'ASTRIX_STAFF_TOKEN';

/**
 * The staff member at the keyboard, from an identity-service JWT verified exactly as the API verifies
 * it (signature, expiry, issuer, audience) and holding one of `roles` (admin always passes). The OS
 * user ($USER) is never an identity: changing it cannot make a second approver.
 */
export function staffFromToken(
  verifier: JwtVerifier,
  token: string | undefined,
  roles: StaffRole[],
): UserActor {
  const credential = token ?? process.env[STAFF_TOKEN_ENV];
  if (!credential) {
    throw new Error(
      `this command acts as a named staff member: pass --token <staff JWT> or set ${STAFF_TOKEN_ENV} (the OS user is not an identity)`,
    );
  }
  let staff: UserActor;
  try {
    staff = verifier.verify(credential.trim());
  } catch (error) {
    throw new Error(`the staff token was refused: ${(error as Error).message}`);
  }
  if (!staff.roles.includes('admin') && !roles.some((role) => staff.roles.includes(role))) {
    throw new Error(`${staff.userId} needs the staff role ${roles.join(' or ')} for this command`);
  }
  return staff;
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
  /** The verified staff member for `--token` (or ASTRIX_STAFF_TOKEN), as a request context. */
  actAs: (token: string | undefined, roles: StaffRole[]) => RequestContext & { actor: UserActor };
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
        actAs: (token, roles) => {
          const staff = staffFromToken(app.get(JwtVerifier, { strict: false }), token, roles);
          return { actor: staff, requestId: null };
        },
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
