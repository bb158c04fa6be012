import type { EntityManager } from 'typeorm';

/**
 * What invoicing asks collection for when staff close or replace an invoice. Collection implements
 * it; invoicing never writes collection's tables itself.
 */
export abstract class InvoiceCollectionPort {
  /** Inside the transaction that voids or writes off `invoiceId`: stop its dunning. */
  abstract stopCollecting(manager: EntityManager, invoiceId: string, at: Date): Promise<void>;

  /**
   * Before voiding: cancels the invoice's outstanding payment intent at the processor. When it had
   * already succeeded, the invoice is paid by it (and the void then refused); a payment still in
   * flight is a 409.
   */
  abstract cancelOutstandingPayment(invoiceId: string): Promise<void>;

  /** After commit: make the first collection attempt of a newly issued invoice. */
  abstract collectFirstAttempt(invoiceId: string): Promise<void>;
}
