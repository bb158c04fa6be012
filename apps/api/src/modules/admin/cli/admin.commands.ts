import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { ProductKind } from '@astrix/contracts';
import type { ProductDetails } from '../../billing/catalog/catalog-views';
import type { PriceInput } from '../../billing/catalog/catalog.service';
import type { CouponView } from '../../billing/coupons/coupon-views';
import {
  AdminCliServices,
  cliContext,
  cliStaff,
  confirm,
  parseAmountOption,
  parsePositiveInteger,
  print,
} from './cli-support';

export interface JsonOption {
  json?: boolean;
}
export interface YesOption {
  yes?: boolean;
}

const PRODUCT_KINDS: ProductKind[] = ['evaluation', 'instant_funded', 'reset', 'subscription', 'add_on'];

const productRow = (product: ProductDetails) => ({
  id: product.id,
  slug: product.slug,
  kind: product.kind,
  name: product.name,
  status: product.status,
  prices: product.prices.map((price) => `${price.currency}:${price.unitAmount}`).join(' '),
});

const couponRow = (coupon: CouponView) => ({
  id: coupon.id,
  code: coupon.code,
  kind: coupon.kind,
  off: coupon.percentOff ? `${coupon.percentOff}%` : JSON.stringify(coupon.amountOff),
  duration: coupon.duration,
  redeemed: coupon.redemptionCount,
  status: coupon.status,
});

/** Shared `--json` and `--yes` flags. */
export abstract class AdminCommand extends CommandRunner {
  // An explicit token: the abstract class has no decorator of its own to emit parameter types.
  constructor(@Inject(AdminCliServices) protected readonly admin: AdminCliServices) {
    super();
  }

  @Option({ flags: '--json', description: 'Print JSON instead of a table' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '-y, --yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
  }
}

// ---- catalog ----

@SubCommand({ name: 'list', description: 'Products, archived included, newest first' })
export class CatalogListCommand extends AdminCommand {
  async run(_parameters: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ billing }) => {
      const products: ProductDetails[] = [];
      let cursor: string | undefined;
      do {
        const page = await billing.listProductPage({ limit: 100, cursor });
        products.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      print(options.json, products, products.map(productRow), [
        'id',
        'slug',
        'kind',
        'name',
        'status',
        'prices',
      ]);
    });
  }
}

interface CatalogCreateOptions extends JsonOption {
  name: string;
  kind: ProductKind;
  price: PriceInput[];
  slug?: string;
  description?: string;
  accountSize?: number;
}

@SubCommand({ name: 'create', description: 'Create a product with its prices' })
export class CatalogCreateCommand extends AdminCommand {
  async run(_parameters: string[], options: CatalogCreateOptions): Promise<void> {
    await this.admin.use(async ({ billing }) => {
      const product = await billing.createProduct(
        {
          name: options.name,
          kind: options.kind,
          prices: options.price,
          ...(options.slug ? { slug: options.slug } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.accountSize ? { attributes: { accountSize: options.accountSize } } : {}),
        },
        cliContext(),
      );
      print(options.json, product, [productRow(product)], ['id', 'slug', 'kind', 'name', 'status', 'prices']);
    });
  }

  @Option({ flags: '--name <name>', description: 'Product name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--kind <kind>', description: PRODUCT_KINDS.join(', '), required: true })
  parseKind(value: string): ProductKind {
    if (!(PRODUCT_KINDS as string[]).includes(value))
      throw new Error(`--kind must be one of ${PRODUCT_KINDS.join(', ')}`);
    return value as ProductKind;
  }

  @Option({
    flags: '--price <currency:amount>',
    description: 'A one-off price, e.g. USD:299.00 (repeat for more currencies)',
    required: true,
  })
  parsePrice(value: string, previous: PriceInput[] = []): PriceInput[] {
    const { currency, amount } = parseAmountOption(value, '--price');
    return [...previous, { currency, unitAmount: amount }];
  }

  @Option({ flags: '--slug <slug>', description: 'Stable handle (derived from the name when absent)' })
  parseSlug(value: string): string {
    return value;
  }

  @Option({ flags: '--description <text>', description: 'Shown to traders' })
  parseDescription(value: string): string {
    return value;
  }

  @Option({ flags: '--account-size <units>', description: 'Account size in whole currency units' })
  parseAccountSize(value: string): number {
    return parsePositiveInteger(value, '--account-size');
  }
}

@SubCommand({ name: 'archive', arguments: '<productId>', description: 'Archive a product (no longer sold)' })
export class CatalogArchiveCommand extends AdminCommand {
  async run([productId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Archive product ${productId}?`, options.yes);
    await this.admin.use(async ({ billing }) => {
      const product = await billing.archiveProduct(productId, cliContext());
      print(options.json, product, [productRow(product)], ['id', 'slug', 'status']);
    });
  }
}

@Command({
  name: 'catalog',
  description: 'Products and prices',
  subCommands: [CatalogListCommand, CatalogCreateCommand, CatalogArchiveCommand],
})
export class CatalogCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

// ---- coupons ----

interface CouponCreateOptions extends JsonOption {
  code: string;
  percentOff?: string;
  amountOff?: Record<string, number>;
  duration?: 'once' | 'forever';
  maxRedemptions?: number;
  expiresAt?: string;
  firstPurchaseOnly?: boolean;
}

@SubCommand({ name: 'create', description: 'Create a coupon (--percent-off or --amount-off)' })
export class CouponCreateCommand extends AdminCommand {
  async run(_parameters: string[], options: CouponCreateOptions): Promise<void> {
    if (Boolean(options.percentOff) === Boolean(options.amountOff)) {
      throw new Error('give exactly one of --percent-off and --amount-off');
    }
    await this.admin.use(async ({ billing }) => {
      const coupon = await billing.createCoupon(
        {
          code: options.code,
          kind: options.percentOff ? 'percent_off' : 'amount_off',
          ...(options.percentOff ? { percentOff: options.percentOff } : { amountOff: options.amountOff }),
          duration: options.duration ?? 'once',
          firstPurchaseOnly: options.firstPurchaseOnly ?? false,
          ...(options.maxRedemptions ? { maxRedemptions: options.maxRedemptions } : {}),
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        },
        cliContext(),
      );
      print(options.json, coupon, [couponRow(coupon)], ['id', 'code', 'kind', 'off', 'duration', 'status']);
    });
  }

  @Option({ flags: '--code <code>', description: 'What traders type', required: true })
  parseCode(value: string): string {
    return value;
  }

  @Option({ flags: '--percent-off <percent>', description: 'e.g. 20 or 12.5' })
  parsePercentOff(value: string): string {
    if (!/^\d{1,3}(\.\d{1,4})?$/.test(value))
      throw new Error('--percent-off must be a number such as 20 or 12.5');
    return value;
  }

  @Option({ flags: '--amount-off <currency:amount>', description: 'e.g. USD:50.00 (repeat per currency)' })
  parseAmountOff(value: string, previous: Record<string, number> = {}): Record<string, number> {
    const { currency, amount } = parseAmountOption(value, '--amount-off');
    return { ...previous, [currency]: amount };
  }

  @Option({ flags: '--duration <once|forever>', description: 'For subscriptions (default once)' })
  parseDuration(value: string): 'once' | 'forever' {
    if (value !== 'once' && value !== 'forever') throw new Error('--duration must be once or forever');
    return value;
  }

  @Option({ flags: '--max-redemptions <n>', description: 'Across all customers' })
  parseMaxRedemptions(value: string): number {
    return parsePositiveInteger(value, '--max-redemptions');
  }

  @Option({ flags: '--expires-at <iso8601>', description: 'When it stops working' })
  parseExpiresAt(value: string): string {
    if (Number.isNaN(Date.parse(value))) throw new Error('--expires-at must be an ISO 8601 date-time');
    return value;
  }

  @Option({ flags: '--first-purchase-only', description: "Only for a customer's first purchase" })
  parseFirstPurchaseOnly(): boolean {
    return true;
  }
}

@SubCommand({ name: 'disable', arguments: '<couponId>', description: 'Disable (archive) a coupon' })
export class CouponDisableCommand extends AdminCommand {
  async run([couponId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Disable coupon ${couponId}?`, options.yes);
    await this.admin.use(async ({ billing }) => {
      const coupon = await billing.archiveCoupon(couponId, cliContext());
      print(options.json, coupon, [couponRow(coupon)], ['id', 'code', 'status']);
    });
  }
}

@Command({ name: 'coupon', description: 'Coupons', subCommands: [CouponCreateCommand, CouponDisableCommand] })
export class CouponCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

// ---- customers, refunds ----

@SubCommand({
  name: 'find',
  arguments: '<query...>',
  description: 'Find customers by id, email, user id, Stripe id, invoice number, or "last4 fingerprint"',
})
export class CustomerFindCommand extends AdminCommand {
  async run(words: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ billing }) => {
      const customers = await billing.searchCustomers(words.join(' '), 20);
      print(
        options.json,
        customers,
        customers.map((customer) => ({ ...customer })),
        ['id', 'userId', 'email', 'stripeCustomerId', 'fraudStatus', 'matchedBy'],
      );
    });
  }
}

@Command({ name: 'customer', description: 'Customers', subCommands: [CustomerFindCommand] })
export class CustomerCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

interface RefundOptions extends JsonOption, YesOption {
  reason: string;
  amount?: number;
}

@Command({
  name: 'refund',
  arguments: '<chargeId>',
  description: 'Refund a charge fully, or --amount minor units of it',
})
export class RefundCommand extends AdminCommand {
  async run([chargeId]: string[], options: RefundOptions): Promise<void> {
    const what = options.amount ? `${options.amount} minor units of` : 'everything left on';
    await confirm(`Refund ${what} charge ${chargeId}?`, options.yes);
    await this.admin.use(async ({ billing }) => {
      const refund = await billing.refundCharge(chargeId, options.amount, options.reason, cliContext());
      print(
        options.json,
        refund,
        [
          {
            id: refund.id,
            charge: refund.chargeId,
            amount: `${refund.amount.currency}:${refund.amount.amount}`,
            status: refund.status,
          },
        ],
        ['id', 'charge', 'amount', 'status'],
      );
    });
  }

  @Option({
    flags: '--reason <reason>',
    description: 'Why (kept on the refund and the credit note)',
    required: true,
  })
  parseReason(value: string): string {
    return value;
  }

  @Option({
    flags: '--amount <minorUnits>',
    description: 'Part of the charge, in minor units (default: all left)',
  })
  parseAmount(value: string): number {
    return parsePositiveInteger(value, '--amount');
  }
}

// ---- payouts ----

@SubCommand({
  name: 'approve',
  arguments: '<payoutId>',
  description: 'Approve a payout (four-eyes above the threshold)',
})
export class PayoutApproveCommand extends AdminCommand {
  async run([payoutId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Approve payout ${payoutId}?`, options.yes);
    await this.admin.use(async ({ payouts }) => {
      const payout = await payouts.approve(payoutId, cliStaff(), cliContext());
      print(
        options.json,
        payout,
        [{ id: payout.id, status: payout.status, approvals: payout.approvals.length }],
        ['id', 'status', 'approvals'],
      );
    });
  }
}

@SubCommand({
  name: 'reject',
  arguments: '<payoutId>',
  description: 'Reject a payout; its reservation is released',
})
export class PayoutRejectCommand extends AdminCommand {
  async run([payoutId]: string[], options: JsonOption & YesOption & { reason: string }): Promise<void> {
    await confirm(`Reject payout ${payoutId}?`, options.yes);
    await this.admin.use(async ({ payouts }) => {
      const payout = await payouts.reject(payoutId, options.reason, cliContext());
      print(
        options.json,
        payout,
        [{ id: payout.id, status: payout.status, reason: payout.rejectionReason }],
        ['id', 'status', 'reason'],
      );
    });
  }

  @Option({ flags: '--reason <reason>', description: 'Told to the trader', required: true })
  parseReason(value: string): string {
    return value;
  }
}

@Command({ name: 'payout', description: 'Payouts', subCommands: [PayoutApproveCommand, PayoutRejectCommand] })
export class PayoutCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

// ---- audit ----

interface AuditQueryOptions extends JsonOption {
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  limit?: number;
}

@SubCommand({ name: 'query', description: 'The audit log, newest first' })
export class AuditQueryCommand extends AdminCommand {
  async run(_parameters: string[], options: AuditQueryOptions): Promise<void> {
    await this.admin.use(async ({ auditLog }) => {
      const page = await auditLog.list({
        actor: options.actor,
        resourceType: options.resourceType,
        resourceId: options.resourceId,
        action: options.action,
        from: options.from,
        to: options.to,
        limit: options.limit ?? 50,
      });
      print(
        options.json,
        page.data,
        page.data.map((entry) => ({
          at: entry.occurredAt,
          actor: `${entry.actorType}:${entry.actorId}`,
          action: entry.action,
          resource: `${entry.resourceType}:${entry.resourceId}`,
        })),
        ['at', 'actor', 'action', 'resource'],
      );
    });
  }

  @Option({ flags: '--actor <id>', description: 'user id, API key id, cli:<user>, stripe, …' })
  parseActor(value: string): string {
    return value;
  }

  @Option({ flags: '--resource-type <type>', description: 'e.g. charge, refund, payout' })
  parseResourceType(value: string): string {
    return value;
  }

  @Option({ flags: '--resource-id <id>', description: 'The id of the resource' })
  parseResourceId(value: string): string {
    return value;
  }

  @Option({ flags: '--action <action>', description: 'e.g. refund.requested' })
  parseAction(value: string): string {
    return value;
  }

  @Option({ flags: '--from <iso8601>', description: 'Inclusive' })
  parseFrom(value: string): Date {
    return parseDate(value, '--from');
  }

  @Option({ flags: '--to <iso8601>', description: 'Exclusive' })
  parseTo(value: string): Date {
    return parseDate(value, '--to');
  }

  @Option({ flags: '--limit <n>', description: '1 to 100 (default 50)' })
  parseLimit(value: string): number {
    const limit = parsePositiveInteger(value, '--limit');
    if (limit > 100) throw new Error('--limit must be at most 100');
    return limit;
  }
}

function parseDate(value: string, flag: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new Error(`${flag} must be an ISO 8601 date or date-time`);
  return date;
}

@Command({ name: 'audit', description: 'The audit log', subCommands: [AuditQueryCommand] })
export class AuditCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

/** Every admin command, for the CLI module's providers. */
export const ADMIN_COMMANDS = [
  AdminCliServices,
  CatalogCommand,
  CatalogListCommand,
  CatalogCreateCommand,
  CatalogArchiveCommand,
  CouponCommand,
  CouponCreateCommand,
  CouponDisableCommand,
  CustomerCommand,
  CustomerFindCommand,
  RefundCommand,
  PayoutCommand,
  PayoutApproveCommand,
  PayoutRejectCommand,
  AuditCommand,
  AuditQueryCommand,
];
