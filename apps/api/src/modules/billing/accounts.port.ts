import { Injectable } from '@nestjs/common';

export type ResetEligibility = { eligible: true } | { eligible: false; reason: string };

/** What billing needs from the accounts context before selling a reset. */
export interface AccountsPort {
  resetEligibility(input: {
    userId: string;
    accountId: string;
    productId: string;
  }): Promise<ResetEligibility>;
}

/**
 * Where the accounts context plugs its implementation in (at module init), so billing can ask it
 * without importing it. Until one is registered, resets cannot be verified and are refused rather
 * than sold blind.
 */
@Injectable()
export class AccountsPortRegistry implements AccountsPort {
  private implementation: AccountsPort | null = null;

  register(implementation: AccountsPort): void {
    this.implementation = implementation;
  }

  resetEligibility(input: {
    userId: string;
    accountId: string;
    productId: string;
  }): Promise<ResetEligibility> {
    if (!this.implementation) {
      return Promise.resolve({
        eligible: false,
        reason: 'resets cannot be sold yet: the accounts context that confirms eligibility is not available',
      });
    }
    return this.implementation.resetEligibility(input);
  }
}
