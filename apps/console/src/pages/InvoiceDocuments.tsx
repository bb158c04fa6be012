import { Alert, Button, Modal } from '@mantine/core';
import type { CreditNoteView, InvoiceView } from '@astrix/contracts';
import { useState } from 'react';
import { useApi } from '../api';
import { DIALOG_ATTRIBUTES } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { DownloadButton } from '../components/DownloadButton';
import { formatDate, formatMinor } from '../money';

/** The invoice's PDF: the same document the customer downloads. */
export function InvoicePdfButton({ invoice }: { invoice: Pick<InvoiceView, 'id' | 'number'> }) {
  return (
    <DownloadButton
      label="PDF"
      ariaLabel={`PDF of ${invoice.number}`}
      path={`/v1/admin/invoices/${invoice.id}/pdf`}
      fileName={`${invoice.number}.pdf`}
    />
  );
}

/** The credit notes of an invoice, loaded when opened, each with its PDF. */
export function CreditNotesButton({ invoice }: { invoice: Pick<InvoiceView, 'id' | 'number'> }) {
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button size="xs" variant="subtle" onClick={() => setOpened(true)}>
        Credit notes
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={`Credit notes of ${invoice.number}`}
        centered
        size="lg"
        attributes={DIALOG_ATTRIBUTES}
      >
        {opened && <CreditNotes invoiceId={invoice.id} />}
      </Modal>
    </>
  );
}

function CreditNotes({ invoiceId }: { invoiceId: string }) {
  const invoice = useApi<InvoiceView & { creditNotes: CreditNoteView[] }>(`/v1/admin/invoices/${invoiceId}`);
  return (
    <QueryView query={invoice}>
      {(data) =>
        data.creditNotes.length === 0 ? (
          <Alert>No credit notes were issued against this invoice.</Alert>
        ) : (
          <DataTable
            caption="Credit notes"
            rows={data.creditNotes}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Number', cell: (row) => row.number },
              { header: 'Issued', cell: (row) => formatDate(row.issuedAt) },
              { header: 'Amount', cell: (row) => formatMinor(row.amount.amount, row.amount.currency) },
              { header: 'Reason', cell: (row) => row.reason },
              {
                header: 'Document',
                cell: (row) => (
                  <DownloadButton
                    label="PDF"
                    ariaLabel={`PDF of ${row.number}`}
                    path={`/v1/admin/invoices/${invoiceId}/credit-notes/${row.id}/pdf`}
                    fileName={`${row.number}.pdf`}
                  />
                ),
              },
            ]}
          />
        )
      }
    </QueryView>
  );
}
