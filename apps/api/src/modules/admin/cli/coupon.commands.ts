import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { CouponView } from '../../billing';
import { AdminCommand, type JsonOption, type YesOption } from './admin-command';
import { confirm, parseAmountOption, parsePositiveInteger, print } from './cli-support';
import { parseInstant } from '../../../platform/http/instant';

const couponRow = (coupon: CouponView) => ({
  id: coupon.id,
  code: coupon.code,
  kind: coupon.kind,
  off: coupon.percentOff ? `${coupon.percentOff}%` : JSON.stringify(coupon.amountOff),
  duration: coupon.duration,
  redeemed: coupon.redemptionCount,
  status: coupon.status,
});

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
    await this.admin.use(async ({ actAs, coupons }) => {
      const coupon = await coupons.createCoupon(
        {
          code: options.code,
          kind: options.percentOff ? 'percent_off' : 'amount_off',
          ...(options.percentOff ? { percentOff: options.percentOff } : { amountOff: options.amountOff }),
          duration: options.duration ?? 'once',
          firstPurchaseOnly: options.firstPurchaseOnly ?? false,
          ...(options.maxRedemptions ? { maxRedemptions: options.maxRedemptions } : {}),
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        },
        actAs(options.token, ['admin']),
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
    const expiresAt = parseInstant(value);
    if (expiresAt === null) throw new Error('--expires-at must be an ISO 8601 date-time');
    return expiresAt.toISOString();
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
    await this.admin.use(async ({ actAs, coupons }) => {
      const coupon = await coupons.archiveCoupon(couponId, actAs(options.token, ['admin']));
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

export const COUPON_COMMANDS = [CouponCommand, CouponCreateCommand, CouponDisableCommand];
