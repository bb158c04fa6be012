import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import type { Page, ReconciliationExceptionView } from '@astrix/contracts';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApi } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { formatDate, formatMinor } from '../money';

/** As GET /v1/admin/recognition/deferred-waterfall answers (apps/api recognition reports). */
interface DeferredWaterfall {
  currency: string;
  months: Array<{
    month: string;
    opening: number;
    deferred: number;
    recognized: number;
    credited: number;
    closing: number;
  }>;
  outlook: Array<{ month: string; amount: number }>;
}

function month(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** Finance's books: deferred revenue (waterfall and outlook) and the reconciliation exceptions to work. */
export function Books() {
  const now = new Date();
  const [from, setFrom] = useState(month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 1))));
  const [to, setTo] = useState(month(now));
  const [applied, setApplied] = useState({ from, to });
  const waterfall = useApi<{ data: DeferredWaterfall[] }>(
    `/v1/admin/recognition/deferred-waterfall?from=${applied.from}&to=${applied.to}`,
  );
  const exceptions = useApi<Page<ReconciliationExceptionView>>(
    '/v1/admin/reconciliations/exceptions?limit=50',
  );
  return (
    <Stack>
      <Title order={2}>Deferred revenue</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setApplied({ from, to });
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="From month (YYYY-MM)"
            value={from}
            onChange={(event) => setFrom(event.currentTarget.value)}
          />
          <TextInput
            label="To month (YYYY-MM)"
            value={to}
            onChange={(event) => setTo(event.currentTarget.value)}
          />
          <Button type="submit">Show</Button>
        </Group>
      </form>
      <QueryView query={waterfall}>
        {(result) =>
          result.data.length === 0 ? (
            <Text size="sm">Nothing deferred in this range.</Text>
          ) : (
            <Stack>
              {result.data.map((currency) => (
                <Stack key={currency.currency} gap="xs">
                  <figure
                    style={{ margin: 0 }}
                    aria-label={`Deferred revenue movements per month in ${currency.currency}`}
                  >
                    <ResponsiveContainer width="100%" height={240}>
                      <BarChart data={currency.months} accessibilityLayer>
                        <CartesianGrid strokeDasharray="3 3" />
                        <XAxis dataKey="month" />
                        <YAxis
                          tickFormatter={(value: number) => formatMinor(value, currency.currency)}
                          width={100}
                        />
                        <Tooltip formatter={(value) => formatMinor(Number(value), currency.currency)} />
                        <Legend />
                        <Bar dataKey="deferred" name="Deferred" fill="#1c5d99" />
                        <Bar dataKey="recognized" name="Recognized" fill="#1d6630" />
                        <Bar dataKey="credited" name="Credited" fill="#a61e1e" />
                        <Bar dataKey="closing" name="Closing balance" fill="#5a2ca0" />
                      </BarChart>
                    </ResponsiveContainer>
                  </figure>
                  <DataTable
                    caption={`Deferred revenue waterfall (${currency.currency})`}
                    rows={currency.months}
                    rowKey={(row) => row.month}
                    columns={[
                      { header: 'Month', cell: (row) => row.month },
                      { header: 'Opening', cell: (row) => formatMinor(row.opening, currency.currency) },
                      { header: 'Deferred', cell: (row) => formatMinor(row.deferred, currency.currency) },
                      { header: 'Recognized', cell: (row) => formatMinor(row.recognized, currency.currency) },
                      { header: 'Credited', cell: (row) => formatMinor(row.credited, currency.currency) },
                      { header: 'Closing', cell: (row) => formatMinor(row.closing, currency.currency) },
                    ]}
                  />
                  <DataTable
                    caption={`To be recognized (${currency.currency})`}
                    rows={currency.outlook}
                    rowKey={(row) => row.month}
                    columns={[
                      { header: 'Month', cell: (row) => row.month },
                      { header: 'Amount', cell: (row) => formatMinor(row.amount, currency.currency) },
                    ]}
                  />
                </Stack>
              ))}
            </Stack>
          )
        }
      </QueryView>
      <Title order={2}>Reconciliation</Title>
      <div>
        <ActionButton
          label="Reconcile a day"
          title="Reconcile a UTC day against Stripe"
          description="Walks the day's Stripe balance transactions against the books in the background; asking again for the same day posts nothing new."
          path="/v1/admin/reconciliations"
          fields={[{ name: 'date', label: 'Day (YYYY-MM-DD)', kind: 'text', required: true }]}
        />
      </div>
      <QueryView query={exceptions}>
        {(page) => (
          <DataTable
            caption="Open reconciliation exceptions"
            rows={page.data}
            rowKey={(row) => row.id}
            empty="none open."
            columns={[
              { header: 'Day', cell: (row) => row.date },
              { header: 'Kind', cell: (row) => row.kind },
              { header: 'Subject', cell: (row) => row.subject },
              {
                header: 'Stripe / books',
                cell: (row) =>
                  `${row.processorAmount === null ? '—' : formatMinor(row.processorAmount, row.currency)} / ${row.ourAmount === null ? '—' : formatMinor(row.ourAmount, row.currency)}`,
              },
              { header: 'Message', cell: (row) => row.message },
              { header: 'Found', cell: (row) => formatDate(row.createdAt) },
              {
                header: 'Actions',
                cell: (row) => (
                  <ActionButton
                    label="Resolve"
                    title={`Resolve ${row.id}`}
                    description="Closes the exception with what was done about it (audited)."
                    path={`/v1/admin/reconciliations/exceptions/${row.id}/resolve`}
                    fields={[{ name: 'resolution', label: 'Resolution', kind: 'reason' }]}
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
