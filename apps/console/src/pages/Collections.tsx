import { Progress, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import type { BillingRunView, DunningView, Page } from '@astrix/contracts';
import { useState } from 'react';
import { useApi } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { formatDate } from '../money';
import { can } from '../permissions';
import { useSignedIn } from '../session';
import { DunningActions } from './Customer360';

const DUNNING_STATUSES = ['active', 'paused', 'recovered', 'exhausted', 'closed'] as const;

/** The dunning desk (unpaid subscription invoices being collected) and billing runs with their progress. */
export function Collections() {
  const session = useSignedIn();
  const [status, setStatus] = useState<string>('active');
  const dunning = useApi<Page<DunningView>>(`/v1/admin/dunning?status=${status}&limit=50`);
  const runs = useApi<Page<BillingRunView>>('/v1/admin/billing-runs?limit=20');
  return (
    <Stack>
      <Title order={2}>Dunning desk</Title>
      <SegmentedControl
        aria-label="Dunning status"
        data={[...DUNNING_STATUSES]}
        value={status}
        onChange={setStatus}
      />
      <QueryView query={dunning}>
        {(page) => (
          <DataTable
            caption={`Dunning cases ${status}`}
            rows={page.data}
            rowKey={(row) => row.invoiceId}
            columns={[
              { header: 'Invoice', cell: (row) => row.invoiceId },
              { header: 'Customer', cell: (row) => row.customerId },
              { header: 'Failed attempts', cell: (row) => row.failedAttempts },
              { header: 'Schedule (days)', cell: (row) => row.retryDays.join(', ') },
              { header: 'Next attempt', cell: (row) => formatDate(row.nextAttemptAt) },
              { header: 'Last failure', cell: (row) => row.lastFailure?.message ?? '—' },
              {
                header: 'Actions',
                cell: (row) =>
                  can(session.roles, 'invoice.dunning') && ['active', 'paused'].includes(row.status) ? (
                    <Stack gap={4}>
                      <DunningActions invoiceId={row.invoiceId} status={row.status} />
                      <ActionButton
                        label="Retry payment"
                        title={`Collect ${row.invoiceId} now`}
                        description="Tries the customer's payment method now."
                        path={`/v1/admin/invoices/${row.invoiceId}/retry-payment`}
                      />
                    </Stack>
                  ) : null,
              },
            ]}
          />
        )}
      </QueryView>
      <Title order={2}>Billing runs</Title>
      {can(session.roles, 'billingRuns.start') && (
        <div>
          <ActionButton
            label="Start a billing run"
            title="Start a billing run"
            description="Invoices every subscription period that ended by the instant you give (empty: now). Workers run it; progress shows below."
            path="/v1/admin/billing-runs"
            fields={[
              {
                name: 'asOf',
                label: 'As of (ISO 8601 instant, optional)',
                kind: 'text',
                description: 'e.g. 2026-12-01T00:00:00Z',
              },
            ]}
          />
        </div>
      )}
      <QueryView query={runs}>
        {(page) => (
          <DataTable
            caption="Billing runs"
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Run', cell: (row) => row.id },
              { header: 'As of', cell: (row) => formatDate(row.asOf) },
              { header: 'Status', cell: (row) => row.status },
              {
                header: 'Progress',
                cell: (row) => {
                  const total = row.progress.done + row.progress.remaining;
                  return (
                    <Stack gap={2}>
                      <Progress
                        value={total === 0 ? 100 : (row.progress.done * 100) / total}
                        aria-label={`Run ${row.id} progress`}
                      />
                      <Text size="xs">
                        {row.progress.done} done, {row.progress.remaining} remaining,{' '}
                        {row.progress.invoicesCreated} invoices, {row.progress.failed} failed
                      </Text>
                    </Stack>
                  );
                },
              },
              { header: 'By', cell: (row) => row.requestedBy },
              { header: 'Started', cell: (row) => formatDate(row.startedAt) },
              {
                header: 'Failures',
                cell: (row) =>
                  row.failures.map((failure) => `${failure.subscriptionId}: ${failure.error}`).join('; ') ||
                  '—',
              },
            ]}
          />
        )}
      </QueryView>
    </Stack>
  );
}
