import { COLORS } from '../colors';
import { Anchor, Badge, Button, Group, Stack, TextInput, Title } from '@mantine/core';
import type { CustomerSummaryView } from '@astrix/contracts';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api';
import { DataTable, QueryView } from '../components/Query';
import { formatDate } from '../money';

export function FraudBadge({ status }: { status: string }) {
  const color = status === 'blocked' ? COLORS.danger : status === 'flagged' ? COLORS.warning : COLORS.ok;
  return (
    <Badge color={color} variant="filled">
      {status}
    </Badge>
  );
}

/** Find a customer by any identifier the API supports. */
export function Customers() {
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const [draft, setDraft] = useState(query);
  const results = useApi<{ data: CustomerSummaryView[] }>(
    query ? `/v1/admin/customers?query=${encodeURIComponent(query)}&limit=25` : null,
  );
  return (
    <Stack>
      <Title order={2}>Customers</Title>
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setParams(draft.trim() ? { q: draft.trim() } : {});
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Find a customer"
            description="Email (or its beginning), user id, cust_/chg_/inv_ id, Stripe cus_/ch_/pi_ id, invoice number, card fingerprint or 'last4 fingerprint'"
            value={draft}
            onChange={(event) => setDraft(event.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      {query && (
        <QueryView query={results}>
          {(page) => (
            <DataTable
              caption={`Customers matching “${query}”`}
              rows={page.data}
              rowKey={(row) => row.id}
              empty="no customer matches."
              columns={[
                {
                  header: 'Customer',
                  cell: (row) => (
                    <Anchor component={Link} to={`/customers/${row.id}`}>
                      {row.email ?? row.userId}
                    </Anchor>
                  ),
                },
                { header: 'User id', cell: (row) => row.userId },
                { header: 'Id', cell: (row) => row.id },
                { header: 'Matched by', cell: (row) => row.matchedBy },
                { header: 'Fraud status', cell: (row) => <FraudBadge status={row.fraudStatus} /> },
                { header: 'Since', cell: (row) => formatDate(row.createdAt) },
              ]}
            />
          )}
        </QueryView>
      )}
    </Stack>
  );
}
