import type { EntityManager } from 'typeorm';

/**
 * What invoicing asks collection for when staff close or replace an invoice. Collection implements
 * it; invoicing never writes collection's tables itself.
 */
export abstract class InvoiceCollectionPort {
  /** Inside the transaction that voids or writes off `invoiceId`: stop its dunning. */
  abstract stopCollecting(manager: EntityManager, invoiceId: string, at: Date): Promise<void>;

  /** After commit: make the first collection attempt of a newly issued invoice. */
  abstract collectFirstAttempt(invoiceId: string): Promise<void>;
}
