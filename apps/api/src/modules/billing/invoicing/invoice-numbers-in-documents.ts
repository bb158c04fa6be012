/**
 * An invoice's number as its events and audit rows carry it until Postgres writes them: the invoice
 * writer takes the numbers in the statement that writes the invoices, and the next statement fills
 * them into those documents with FILL_INVOICE_NUMBER (migration 1795800000000). Its NUL makes it a
 * value no real number can be, and one jsonb refuses, so a document left unfilled cannot be stored.
 */
export const INVOICE_NUMBER_PLACEHOLDER = '\u0000invoice-number';

/** The SQL function that fills the placeholder from the invoice row, given the document and the invoice id. */
export const FILL_INVOICE_NUMBER = 'billing.fill_invoice_number';
