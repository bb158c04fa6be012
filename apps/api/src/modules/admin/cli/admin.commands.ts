import { AUDIT_COMMANDS } from './audit.commands';
import { BOOKS_COMMANDS } from './books.commands';
import { CATALOG_COMMANDS } from './catalog.commands';
import { AdminCliServices } from './cli-support';
import { COUPON_COMMANDS } from './coupon.commands';
import { CUSTOMER_COMMANDS } from './customer.commands';
import { FX_COMMANDS } from './fx.commands';
import { LEDGER_COMMANDS } from './ledger.commands';
import { PAYOUT_COMMANDS } from './payout.commands';
import { RECONCILE_COMMANDS } from './reconcile.commands';
import { RECOGNITION_COMMANDS } from './recognition.commands';
import { USAGE_COMMANDS } from './usage.commands';
import { WEBHOOK_COMMANDS } from './webhook.commands';

/** Every admin command (and the services they share), for the CLI module's providers. */
export const ADMIN_COMMANDS = [
  AdminCliServices,
  ...CATALOG_COMMANDS,
  ...COUPON_COMMANDS,
  ...CUSTOMER_COMMANDS,
  ...PAYOUT_COMMANDS,
  ...AUDIT_COMMANDS,
  ...BOOKS_COMMANDS,
  ...LEDGER_COMMANDS,
  ...RECONCILE_COMMANDS,
  ...RECOGNITION_COMMANDS,
  ...FX_COMMANDS,
  ...WEBHOOK_COMMANDS,
  ...USAGE_COMMANDS,
];
