import { Injectable } from '@nestjs/common';

export type ResetEligibility = { eligible: true } | { eligible: false; reason: string };

/**
 * What billing needs from the accounts context before selling a reset. The accounts module
 * provides the real implementation; until it is registered, resets cannot be verified and are
 * refused rather than sold blind.
 */
export abstract class AccountsPort {
  abstract resetEligibility(input: {
    userId: string;
    accountId: string;
    productId: string;
  }): Promise<ResetEligibility>;
}

@Injectable()
export class AccountsContextUnavailable extends AccountsPort {
  resetEligibility(): Promise<ResetEligibility> {
    return Promise.resolve({
      eligible: false,
      reason: 'resets cannot be sold yet: the accounts context that confirms eligibility is not available',
    });
  }
}
