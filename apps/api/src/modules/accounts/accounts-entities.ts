import { Account } from './account.entity';
import { AccountReset } from './account-reset.entity';
import { AccountStatusChange } from './account-status-change.entity';
import { TradingPlatformEvent } from './trading-platform-event.entity';
import { UserHold } from './user-hold.entity';

export const ACCOUNTS_ENTITIES = [Account, AccountStatusChange, AccountReset, TradingPlatformEvent, UserHold];
