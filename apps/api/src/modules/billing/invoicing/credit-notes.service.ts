import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, In } from 'typeorm';
import type { CreditNoteLineView, CreditNoteView, Page } from '@astrix/contracts';
import { toPage } from '../../../platform/http/pagination';
import type { CreditNote } from './credit-note.entity';
import { CreditNoteLine } from './credit-note-line.entity';

interface CreditNoteRow {
  id: string;
  number: string;
  invoice_id: string;
  refund_id: string | null;
  amount: string;
  tax: string;
  currency: string;
  reason: string;
  issued_at: Date;
}

/** A credit note with its lines, as its customer sees it. */
export function creditNoteWithLines(note: CreditNote, lines: readonly CreditNoteLine[]): CreditNoteView {
  const view = (amount: number) => ({ amount, currency: note.currency });
  return {
    id: note.id,
    number: note.number,
    invoiceId: note.invoiceId,
    refundId: note.refundId,
    amount: view(note.amount),
    tax: view(note.tax),
    reason: note.reason,
    issuedAt: note.issuedAt.toISOString(),
    lines: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((line): CreditNoteLineView => ({
        invoiceLinePosition: line.invoiceLinePosition,
        description: line.description,
        amount: view(line.amount),
        tax: view(line.tax),
        taxRate:
          line.taxPercentage === null
            ? null
            : { percentage: line.taxPercentage, inclusive: line.taxInclusive },
      })),
  };
}

/** Credit notes as their customers read them (issuing them is InvoicesService's). */
@Injectable()
export class CreditNotes {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's credit notes (on their invoices), newest first. */
  async listForUser(userId: string, page: { limit: number; cursor?: string }): Promise<Page<CreditNoteView>> {
    const rows = (await this.dataSource.query(
      `SELECT n.id, n.number, n.invoice_id, n.refund_id, n.amount, n.tax, n.currency, n.reason, n.issued_at
         FROM billing.credit_notes n JOIN billing.invoices i ON i.id = n.invoice_id
        WHERE i.user_id = $1 AND ($2::text IS NULL OR n.id < $2)
        ORDER BY n.id DESC
        LIMIT $3`,
      [userId, page.cursor ?? null, page.limit + 1],
    )) as CreditNoteRow[];
    const notes: CreditNote[] = rows.map((row) => ({
      id: row.id,
      number: row.number,
      invoiceId: row.invoice_id,
      refundId: row.refund_id,
      amount: Number(row.amount),
      tax: Number(row.tax),
      currency: row.currency,
      reason: row.reason,
      issuedAt: row.issued_at,
    }));
    const ids = notes.slice(0, page.limit).map((note) => note.id);
    const lines =
      ids.length === 0
        ? []
        : await this.dataSource.getRepository(CreditNoteLine).find({ where: { creditNoteId: In(ids) } });
    return toPage(notes, page.limit, (note) =>
      creditNoteWithLines(
        note,
        lines.filter((line) => line.creditNoteId === note.id),
      ),
    );
  }
}
