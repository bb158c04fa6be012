import { Injectable } from '@nestjs/common';
import type { HostedInvoiceLinkView } from '@astrix/contracts';
import { Clock } from '../../../platform/clock';
import { AppConfig } from '../../../platform/config/app-config';
import { signToken, type TokenPurpose, verifyToken } from '../../../platform/crypto/signed-token';
import { AppError } from '../../../platform/http/app-error';

/**
 * A hosted invoice link's token (`hil_…`): the invoice id and the expiry, signed under
 * TOKEN_SIGNING_SECRET with the link's own key. Whoever holds the link reads that one invoice (page
 * and PDF) until it expires; nothing else. A forged or altered link is refused by its signature
 * before any database read.
 */
export const HOSTED_INVOICE_LINK: TokenPurpose<{ invoiceId: string }> = {
  prefix: 'hil_',
  name: 'hosted invoice link v1',
  parse: (claims) =>
    typeof claims.inv === 'string' && claims.inv.startsWith('inv_') ? { invoiceId: claims.inv } : null,
};

export const HOSTED_INVOICES_PATH = '/v1/hosted/invoices';

@Injectable()
export class HostedInvoiceLinks {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** A fresh link to the invoice's hosted page (the caller has checked who may have it). */
  linkFor(invoiceId: string): HostedInvoiceLinkView {
    const expiresAt = new Date(
      this.clock.now().getTime() + this.config.signedTokenLifetimes.hostedInvoiceLinkMs,
    );
    const [secret] = this.config.tokenSigningSecrets;
    // signToken writes the claims as given: `inv` keeps the token short.
    const token = signToken(
      secret,
      HOSTED_INVOICE_LINK,
      { inv: invoiceId } as unknown as { invoiceId: string },
      expiresAt,
    );
    return {
      url: `${this.config.publicUrl}${HOSTED_INVOICES_PATH}/${encodeURIComponent(invoiceId)}?token=${token}`,
      expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
    };
  }

  /** The link's expiry when `token` is a valid link to `invoiceId`; a precise 4xx otherwise. */
  verify(invoiceId: string, token: string): Date {
    const result = verifyToken(this.config.tokenSigningSecrets, HOSTED_INVOICE_LINK, token, this.clock.now());
    if (!result.ok) {
      switch (result.reason) {
        case 'malformed':
          throw new AppError(400, 'INVALID_LINK', 'the link is malformed: open it exactly as it was sent', [
            { field: 'token', message: 'is not a hosted invoice link token' },
          ]);
        case 'bad_signature':
          throw new AppError(
            403,
            'INVALID_LINK',
            'the link signature does not match: it was altered or not issued by us',
          );
        case 'expired':
          throw new AppError(
            410,
            'LINK_EXPIRED',
            `the link expired at ${result.expiresAt.toISOString()}: ask for a new one`,
          );
      }
    }
    if (result.claims.invoiceId !== invoiceId) {
      throw new AppError(403, 'INVALID_LINK', 'the link is for another invoice');
    }
    return result.expiresAt;
  }
}
