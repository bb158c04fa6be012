import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../../platform/auth/access.decorators';

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto"><h1>${title}</h1><p>${body}</p></body></html>`;

/**
 * Where the payment page sends the trader back when the web app gave no URLs of its own (the
 * sandbox, scripts). Static pages: what happened is known from webhooks, never from this visit.
 */
@ApiTags('billing: checkout')
@Public()
@SkipThrottle()
@Controller('checkout')
export class CheckoutReturnController {
  @Get('success')
  @ApiOperation({
    summary: 'Page the payment page returns to after paying, when the web app gave no success URL',
  })
  @Header('content-type', 'text/html; charset=utf-8')
  success(): string {
    return page(
      'Payment received',
      'Thank you. Your purchase is being confirmed; the receipt appears under GET /v1/billing/invoices within seconds.',
    );
  }

  @Get('cancel')
  @ApiOperation({
    summary: 'Page the payment page returns to when the trader cancels, when the web app gave no URL',
  })
  @Header('content-type', 'text/html; charset=utf-8')
  cancel(): string {
    return page('Payment cancelled', 'Nothing was charged. You can start a new checkout at any time.');
  }
}
