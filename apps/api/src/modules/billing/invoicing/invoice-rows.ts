import type { EntityManager } from 'typeorm';
import type { SqlStatement } from '../../../platform/database/statements-together';
import type { DocumentNumbers } from './document-numbers.service';
import type { Invoice, PartyDetails } from './invoice.entity';
import type { TaxedLine } from './invoice-writer.service';

/**
 * The invoices and their lines in one raw statement (unnest, the lines in a data-modifying CTE): the
 * billing run writes thousands of rows a second, and building them through the ORM's insert costs more
 * CPU than Postgres spends storing them; each statement saved is a round trip per batch. The statement
 * also takes the invoices' numbers (in the order given), so the series lock is taken by it, with no
 * round trip to the client before the rows; the invoices' `number` is ignored. Its rows are each
 * invoice's id and number (numbersWritten).
 */
export function invoicesAndLinesStatement(
  manager: EntityManager,
  numbers: DocumentNumbers,
  invoices: readonly Invoice[],
  issuedAt: Date,
  seller: PartyDetails,
  lines: Array<{ invoiceId: string; position: number; line: TaxedLine }>,
): SqlStatement {
  // The numbers, events and audit rows are written by separate statements: they must commit together.
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error(
      'invoices must be issued inside a transaction: their numbers, events and audit rows commit together',
    );
  }
  // Parameters $1-$45 are the rows'; the numbers' follow.
  const numbering = numbers.inStatement('invoice', issuedAt, invoices.length, 46);
  const column = <K extends keyof Invoice>(key: K): Array<Invoice[K]> =>
    invoices.map((invoice) => invoice[key]);
  return {
    sql: `WITH n AS (${numbering.cte}),
     i AS (
       INSERT INTO billing.invoices
         (id, number, customer_id, user_id, customer_email, status, currency, subtotal, total, paid_at,
          billing_reason, subscription_id, period_start, period_end, idempotency_key, credit_applied, amount_due,
          discount, charge_id, tax, amount_paid, seller, issued_at, due_at, attempt_count, tax_treatment,
          tax_country, tax_region, customer_vat_id, reporting_currency, fx_rate, fx_source, fx_as_of)
       SELECT id, ${numbering.numberOf('n', 'u.position')}, customer_id, user_id, customer_email, status,
              currency, subtotal, total, paid_at, billing_reason, subscription_id, period_start, period_end,
              idempotency_key, credit_applied, amount_due, discount, NULL, tax, 0, $19::jsonb, $20, $20, 0,
              tax_treatment, tax_country, tax_region, customer_vat_id, reporting_currency, fx_rate, fx_source,
              fx_as_of
         FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::bigint[], $9::bigint[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[],
                     $14::timestamptz[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[], $21::bigint[],
                     $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[],
                     $29::timestamptz[])
           AS u(id, position, customer_id, user_id, customer_email, status, currency, subtotal, total, paid_at,
                billing_reason, subscription_id, period_start, period_end, idempotency_key, credit_applied,
                amount_due, discount, tax, tax_treatment, tax_country, tax_region, customer_vat_id,
                reporting_currency, fx_rate, fx_source, fx_as_of)
         CROSS JOIN n
       RETURNING id, number
     ),
     written_lines AS (
     INSERT INTO billing.invoice_lines
       (invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start,
        period_end, feature_id, discount, tax, tax_rate_id, tax_percentage, tax_inclusive)
     SELECT l.invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start,
            period_end, feature_id, discount, tax, tax_rate_id, tax_percentage, tax_inclusive
       FROM unnest($30::text[], $31::int[], $32::text[], $33::text[], $34::int[], $35::bigint[], $36::bigint[],
                   $37::text[], $38::timestamptz[], $39::timestamptz[], $40::text[], $41::bigint[], $42::bigint[],
                   $43::text[], $44::text[], $45::boolean[])
         AS l(invoice_id, position, description, product_id, quantity, unit_amount, amount, kind, period_start,
              period_end, feature_id, discount, tax, tax_rate_id, tax_percentage, tax_inclusive)
       -- Every line's invoice is inserted above (a conflict raises): joined so the lines follow the invoices.
       JOIN i ON i.id = l.invoice_id
     )
     SELECT id, number FROM i`,
    params: [
      column('id'),
      // Each invoice's place among the numbers taken.
      invoices.map((_, index) => index + 1),
      column('customerId'),
      column('userId'),
      column('customerEmail'),
      column('status'),
      column('currency'),
      column('subtotal'),
      column('total'),
      column('paidAt'),
      column('billingReason'),
      column('subscriptionId'),
      column('periodStart'),
      column('periodEnd'),
      column('idempotencyKey'),
      column('creditApplied'),
      column('amountDue'),
      column('discount'),
      JSON.stringify(seller),
      issuedAt,
      column('tax'),
      column('taxTreatment'),
      column('taxCountry'),
      column('taxRegion'),
      column('customerVatId'),
      column('reportingCurrency'),
      column('fxRate'),
      column('fxSource'),
      column('fxAsOf'),
      lines.map((row) => row.invoiceId),
      lines.map((row) => row.position),
      lines.map((row) => row.line.description),
      lines.map((row) => row.line.productId),
      lines.map((row) => row.line.quantity),
      lines.map((row) => row.line.unitAmount),
      lines.map((row) => row.line.amount),
      lines.map((row) => row.line.kind),
      lines.map((row) => row.line.periodStart),
      lines.map((row) => row.line.periodEnd),
      lines.map((row) => row.line.featureId),
      lines.map((row) => row.line.discount),
      lines.map((row) => row.line.tax),
      lines.map((row) => row.line.taxRateId),
      lines.map((row) => row.line.taxPercentage),
      lines.map((row) => row.line.taxInclusive),
      ...numbering.params,
    ],
  };
}

/** Each invoice's number by id, from the rows of invoicesAndLinesStatement that wrote `count` invoices. */
export function numbersWritten(rows: readonly unknown[], count: number): Map<string, string> {
  const numbered = new Map(
    (rows as ReadonlyArray<{ id: string; number: string }>).map((row) => [row.id, row.number]),
  );
  // Every invoice is inserted or the statement fails: anything else is a defect to stop on.
  if (numbered.size !== count) {
    throw new Error(`${count} invoices written, ${numbered.size} numbered`);
  }
  return numbered;
}
