import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UserHold } from './user-hold.entity';

/**
 * Whether a customer's new accounts must wait for review. Fraud signals (billing) will answer this
 * later; until then support decides through `accounts.user_holds`.
 */
export abstract class FraudHoldPort {
  /** Read in the caller's transaction when given (no second pool connection held meanwhile). */
  abstract isOnHold(userId: string, manager?: EntityManager): Promise<boolean>;
}

@Injectable()
export class UserHoldsFraudHold extends FraudHoldPort {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async isOnHold(userId: string, manager?: EntityManager): Promise<boolean> {
    return (manager ?? this.dataSource.manager).exists(UserHold, { where: { userId } });
  }
}
