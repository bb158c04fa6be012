import { Stack, Text } from '@mantine/core';
import type { CustomerBalanceView, CustomerEntitlementView, EntitlementList } from '@astrix/contracts';
import { useApi } from '../api';
import { DataTable, QueryView } from '../components/Query';
import { formatDate, formatMinor } from '../money';
import { can } from '../permissions';
import { useSignedIn } from '../session';

/** The credit balance and the usage entitlements (used, remaining, staff grants) of a customer. */
export function CustomerExtras({ customerId }: { customerId: string }) {
  const session = useSignedIn();
  const readsEntitlements = can(session.roles, 'entitlements.read');
  const balance = useApi<CustomerBalanceView>(`/v1/admin/customers/${customerId}/balance`);
  const entitlements = useApi<EntitlementList & { grants: CustomerEntitlementView[] }>(
    readsEntitlements ? `/v1/admin/customers/${customerId}/entitlements` : null,
  );
  return (
    <Stack>
      <QueryView query={balance}>
        {(data) => (
          <DataTable
            caption="Credit balance"
            rows={data.balances}
            rowKey={(row) => row.currency}
            empty="no credit held."
            columns={[
              { header: 'Currency', cell: (row) => row.currency },
              { header: 'Credit', cell: (row) => formatMinor(row.amount, row.currency) },
            ]}
          />
        )}
      </QueryView>
      {readsEntitlements ? (
        <QueryView query={entitlements}>
          {(data) => (
            <Stack>
              <DataTable
                caption="Entitlements and usage this period"
                rows={data.data}
                rowKey={(row) => row.featureId}
                empty="no active feature."
                columns={[
                  { header: 'Feature', cell: (row) => row.featureId },
                  { header: 'Allowed', cell: (row) => (row.allowed ? 'yes' : 'no') },
                  { header: 'Reason', cell: (row) => row.reason },
                  { header: 'Used', cell: (row) => row.used ?? '—' },
                  { header: 'Limit', cell: (row) => row.limit ?? 'unlimited' },
                  { header: 'Remaining', cell: (row) => row.remaining ?? '—' },
                  { header: 'Resets', cell: (row) => formatDate(row.resetsAt) },
                  { header: 'Source', cell: (row) => row.source ?? '—' },
                ]}
              />
              <DataTable
                caption="Staff grants and overrides"
                rows={data.grants}
                rowKey={(row) => row.id}
                columns={[
                  { header: 'Feature', cell: (row) => row.featureId },
                  { header: 'Kind', cell: (row) => row.kind },
                  { header: 'Enabled', cell: (row) => (row.enabled ? 'yes' : 'no') },
                  { header: 'Limit', cell: (row) => row.limit ?? '—' },
                  { header: 'Reason', cell: (row) => row.reason },
                  { header: 'By', cell: (row) => row.createdBy },
                  { header: 'Revoked', cell: (row) => formatDate(row.revokedAt) },
                ]}
              />
            </Stack>
          )}
        </QueryView>
      ) : (
        <Text size="sm">Entitlements are read by support and admin.</Text>
      )}
    </Stack>
  );
}
