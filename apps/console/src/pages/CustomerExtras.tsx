import { Stack, Text } from '@mantine/core';
import type {
  CustomerBalanceView,
  CustomerEntitlementView,
  DeliveredEvent,
  EntitlementList,
  Page,
} from '@astrix/contracts';
import { ActionButton } from '../components/ActionButton';
import { Paged } from '../components/useMore';
import { useApi } from '../api';
import { DataTable, QueryView } from '../components/Query';
import { formatDate, formatMinor, parseMajor } from '../money';
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
      {can(session.roles, 'customer.credit') && (
        <div>
          <ActionButton
            label="Goodwill credit"
            title="Goodwill credit"
            description="Credits the customer's balance; it is spent on their next invoices (append-only ledger)."
            path={`/v1/admin/customers/${customerId}/balance-credits`}
            fields={[
              { name: 'currency', label: 'Currency (ISO 4217, e.g. USD)', kind: 'text', required: true },
              { name: 'amount', label: 'Amount (e.g. 10.00)', kind: 'text', required: true },
              { name: 'reason', label: 'Reason', kind: 'reason' },
            ]}
            transform={(body) => {
              const parsed = parseMajor(String(body.amount), String(body.currency));
              if ('error' in parsed) throw new Error(`Amount: ${parsed.error}`);
              return { ...body, amount: parsed.minor };
            }}
          />
        </div>
      )}
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

/** The customer's event history (what the platform announced about them), newest first. */
export function CustomerEvents({ customerId }: { customerId: string }) {
  const session = useSignedIn();
  const events = useApi<Page<DeliveredEvent>>(
    can(session.roles, 'events.read') ? `/v1/admin/events?customerId=${customerId}&limit=25` : null,
  );
  if (!can(session.roles, 'events.read'))
    return <Text size="sm">Events are read by support and finance.</Text>;
  return (
    <QueryView query={events}>{(page) => <PagedEvents first={page} customerId={customerId} />}</QueryView>
  );
}

function PagedEvents({ first, customerId }: { first: Page<DeliveredEvent>; customerId: string }) {
  return (
    <Paged
      first={first}
      customerId={customerId}
      section="events"
      path={(cursor) =>
        `/v1/admin/events?customerId=${customerId}&limit=25&cursor=${encodeURIComponent(cursor)}`
      }
    >
      {(rows) => (
        <DataTable
          caption="Events"
          rows={rows}
          rowKey={(row) => row.id}
          columns={[
            { header: 'When', cell: (row) => formatDate(row.occurredAt) },
            { header: 'Type', cell: (row) => row.type },
            { header: 'Subject', cell: (row) => row.subject },
            { header: 'Producer', cell: (row) => row.producer },
          ]}
        />
      )}
    </Paged>
  );
}
