import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { AccountsPortRegistry } from '../billing';
import { AccountChanges } from './account-changes.service';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AdminAccountsController } from './admin-accounts.controller';
import { FraudHoldPort, UserHoldsFraudHold } from './fraud-hold.port';
import { ProvisioningConsumer } from './provisioning.consumer';
import { ResetsService } from './resets.service';
import { TradingOutcomesService } from './trading-outcomes.service';
import { UserHoldsService } from './user-holds.service';

export interface AccountsModuleOptions {
  /**
   * The app's billing module, the very object AppModule imports: Nest identifies dynamic modules by
   * reference, so importing it again here shares its instance (a second forRoot would duplicate it).
   */
  billing: DynamicModule;
}

/** The accounts context: trading accounts from purchases. Other modules use what index.ts exports. */
@Module({})
export class AccountsModule implements OnModuleInit {
  constructor(
    @Inject(AccountsPortRegistry) private readonly accountsPort: AccountsPortRegistry,
    @Inject(ResetsService) private readonly resets: ResetsService,
  ) {}

  static forRoot(options: AccountsModuleOptions): DynamicModule {
    return {
      module: AccountsModule,
      imports: [options.billing],
      controllers: [AccountsController, AdminAccountsController],
      providers: [
        AccountsService,
        AccountChanges,
        ResetsService,
        TradingOutcomesService,
        UserHoldsService,
        ProvisioningConsumer,
        { provide: FraudHoldPort, useClass: UserHoldsFraudHold },
      ],
      exports: [AccountsService, FraudHoldPort],
    };
  }

  /** Billing asks the accounts context before selling a reset. */
  onModuleInit(): void {
    this.accountsPort.register(this.resets);
  }
}
