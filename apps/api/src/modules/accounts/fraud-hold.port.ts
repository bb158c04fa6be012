import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserHold } from './user-hold.entity';

/**
 * Whether a customer's new accounts must wait for review. Fraud signals (billing) will answer this
 * later; until then support decides through `accounts.user_holds`.
 */
export abstract class FraudHoldPort {
  abstract isOnHold(userId: string): Promise<boolean>;
}

@Injectable()
export class UserHoldsFraudHold extends FraudHoldPort {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async isOnHold(userId: string): Promise<boolean> {
    return this.dataSource.getRepository(UserHold).exists({ where: { userId } });
  }
}
