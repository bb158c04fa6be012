/**
 * The accounts context's public surface: the only file other modules import from accounts.
 * Everything else in accounts is internal.
 */
export { AccountsModule, type AccountsModuleOptions } from './accounts.module';
export { AccountsService, type AccountFilter } from './accounts.service';
export { FraudHoldPort } from './fraud-hold.port';
export { USER_ID_PATTERN } from './dto/account-queries';
