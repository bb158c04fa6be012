import { Price } from './catalog/price.entity';
import { Dispute } from './fraud/dispute.entity';
import { FraudSignal } from './fraud/fraud-signal.entity';
import { Product } from './catalog/product.entity';
import { CheckoutSession } from './checkout/checkout-session.entity';
import { Coupon } from './coupons/coupon.entity';
import { CouponRedemption } from './coupons/coupon-redemption.entity';
import { Customer } from './customers/customer.entity';
import { CreditNote } from './invoices/credit-note.entity';
import { DocumentNumberSeries } from './invoices/document-number-series.entity';
import { Invoice } from './invoices/invoice.entity';
import { InvoiceLine } from './invoices/invoice-line.entity';
import { Charge } from './payments/charge.entity';
import { Refund } from './refunds/refund.entity';
import { StripeWebhookEvent } from './stripe-webhooks/stripe-webhook-event.entity';

export const BILLING_ENTITIES = [
  Product,
  Price,
  Customer,
  Coupon,
  CouponRedemption,
  CheckoutSession,
  Charge,
  Refund,
  Invoice,
  InvoiceLine,
  DocumentNumberSeries,
  CreditNote,
  StripeWebhookEvent,
  FraudSignal,
  Dispute,
];
