import { SegmentedControl, Stack, Title } from '@mantine/core';
import type { Page } from '@astrix/contracts';
import { useState } from 'react';
import { useApi } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { formatDate } from '../money';

interface StripeEventView {
  id: string;
  type: string;
  status: 'received' | 'processed' | 'ignored' | 'failed';
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  processedAt: string | null;
}

const STATUSES = ['failed', 'received', 'processed', 'ignored'] as const;

/** Stored Stripe events; a failed one can be processed again (idempotent per event). */
export function StripeEvents() {
  const [status, setStatus] = useState<string>('failed');
  const events = useApi<Page<StripeEventView>>(`/v1/admin/stripe-events?status=${status}&limit=50`);
  return (
    <Stack>
      <Title order={2}>Stripe events</Title>
      <SegmentedControl aria-label="Event status" data={[...STATUSES]} value={status} onChange={setStatus} />
      <QueryView query={events}>
        {(page) => (
          <DataTable
            caption={`Stripe events ${status}`}
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Event', cell: (row) => row.id },
              { header: 'Type', cell: (row) => row.type },
              { header: 'Attempts', cell: (row) => row.attempts },
              { header: 'Last error', cell: (row) => row.lastError ?? '—' },
              { header: 'Received', cell: (row) => formatDate(row.receivedAt) },
              { header: 'Processed', cell: (row) => formatDate(row.processedAt) },
              {
                header: 'Actions',
                cell: (row) => (
                  <ActionButton
                    label="Replay"
                    title={`Replay ${row.id}`}
                    description="Processes the stored event again; what it already did is not done twice."
                    path={`/v1/admin/stripe-events/${row.id}/replay`}
                  />
                ),
              },
            ]}
          />
        )}
      </QueryView>
    </Stack>
  );
}
