import { KycStatusRecord } from './kyc-status.entity';
import { PayoutAccount } from './payout-account.entity';
import { PayoutDestination } from './payout-destination.entity';
import { PayoutLedgerEntry } from './payout-ledger-entry.entity';
import { PayoutTask } from './payout-task.entity';
import { Payout } from './payout.entity';
import { ProductPayoutRules } from './product-payout-rules.entity';

export const PAYOUTS_ENTITIES = [
  Payout,
  PayoutLedgerEntry,
  PayoutAccount,
  KycStatusRecord,
  PayoutDestination,
  ProductPayoutRules,
  PayoutTask,
];
