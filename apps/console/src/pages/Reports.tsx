import { Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import type { RevenueReport, TrialBalanceView } from '@astrix/contracts';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApi } from '../api';
import { DataTable, QueryView } from '../components/Query';
import { formatMinor } from '../money';

const KIND_COLORS = ['#1c5d99', '#a61e1e', '#1d6630', '#8f3300', '#5a2ca0', '#3d3d3d', '#006d77'];

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Revenue per period and product kind (net, from the ledger), MRR and churn, and the trial balance. */
export function Reports() {
  const today = new Date();
  const [from, setFrom] = useState(
    isoDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 5, 1))),
  );
  const [to, setTo] = useState(isoDay(new Date(today.getTime() + 24 * 3600 * 1000)));
  const [groupBy, setGroupBy] = useState<'day' | 'week' | 'month'>('month');
  const [applied, setApplied] = useState({ from, to, groupBy });
  const revenue = useApi<RevenueReport>(
    `/v1/admin/reports/revenue?from=${applied.from}T00:00:00Z&to=${applied.to}T00:00:00Z&groupBy=${applied.groupBy}`,
  );
  const trialBalance = useApi<TrialBalanceView>('/v1/admin/ledger/trial-balance');
  return (
    <Stack>
      <Title order={2}>Revenue</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setApplied({ from, to, groupBy });
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="From (YYYY-MM-DD)"
            value={from}
            onChange={(event) => setFrom(event.currentTarget.value)}
          />
          <TextInput
            label="To (YYYY-MM-DD)"
            value={to}
            onChange={(event) => setTo(event.currentTarget.value)}
          />
          <NativeSelect
            label="Group by"
            data={['day', 'week', 'month']}
            value={groupBy}
            onChange={(event) => setGroupBy(event.currentTarget.value as 'day' | 'week' | 'month')}
          />
          <Button type="submit">Show</Button>
        </Group>
      </form>
      <QueryView query={revenue}>{(report) => <RevenueCharts report={report} />}</QueryView>
      <Title order={2}>Ledger trial balance</Title>
      <QueryView query={trialBalance}>
        {(view) => (
          <Stack gap="xs">
            <Text size="sm">
              At {view.at}: {view.balanced ? 'every currency balances.' : 'NOT balanced — see docs/runbooks.'}
            </Text>
            <DataTable
              caption="Trial balance"
              rows={view.rows}
              rowKey={(row) => `${row.account}-${row.currency}`}
              columns={[
                { header: 'Account', cell: (row) => `${row.account} ${row.name}` },
                { header: 'Type', cell: (row) => row.type },
                { header: 'Debit', cell: (row) => formatMinor(row.debitBalance, row.currency) },
                { header: 'Credit', cell: (row) => formatMinor(row.creditBalance, row.currency) },
              ]}
            />
          </Stack>
        )}
      </QueryView>
    </Stack>
  );
}

function RevenueCharts({ report }: { report: RevenueReport }) {
  const currencies = [...new Set(report.rows.map((row) => row.currency))].sort();
  const [currency, setCurrency] = useState(currencies[0] ?? 'USD');
  const rows = report.rows.filter((row) => row.currency === currency);
  const kinds = [...new Set(rows.map((row) => row.productKind))].sort();
  const periods = [...new Set(rows.map((row) => row.period))].sort();
  // One bar per period, stacked by product kind: each cell is one report row, nothing is added up here.
  const data = periods.map((period) => {
    const point: Record<string, number | string> = { period };
    for (const row of rows.filter((candidate) => candidate.period === period))
      point[row.productKind] = row.net;
    return point;
  });
  return (
    <Stack>
      {currencies.length > 1 && (
        <NativeSelect
          label="Currency"
          data={currencies}
          value={currency}
          onChange={(event) => setCurrency(event.currentTarget.value)}
        />
      )}
      {rows.length === 0 ? (
        <Text size="sm">No revenue in this range.</Text>
      ) : (
        <figure
          style={{ margin: 0 }}
          aria-label={`Net revenue per ${report.groupBy} in ${currency}, by product kind`}
        >
          <ResponsiveContainer width="100%" height={300}>
            <BarChart data={data} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="period" />
              <YAxis tickFormatter={(value: number) => formatMinor(value, currency)} width={100} />
              <Tooltip formatter={(value) => formatMinor(Number(value), currency)} />
              <Legend />
              {kinds.map((kind, index) => (
                <Bar key={kind} dataKey={kind} stackId="net" fill={KIND_COLORS[index % KIND_COLORS.length]} />
              ))}
            </BarChart>
          </ResponsiveContainer>
          <figcaption>
            <Text size="xs">
              Net revenue (gross − discounts − refunds − disputes) per period, stacked by product kind.
            </Text>
          </figcaption>
        </figure>
      )}
      <DataTable
        caption="Totals"
        rows={report.totals}
        rowKey={(row) => row.currency}
        columns={[
          { header: 'Currency', cell: (row) => row.currency },
          { header: 'Sales (invoices)', cell: (row) => row.charges },
          { header: 'Gross', cell: (row) => formatMinor(row.gross, row.currency) },
          { header: 'Discounts', cell: (row) => formatMinor(row.discounts, row.currency) },
          { header: 'Refunds', cell: (row) => formatMinor(row.refunds, row.currency) },
          { header: 'Disputes', cell: (row) => formatMinor(row.disputes, row.currency) },
          { header: 'Net', cell: (row) => formatMinor(row.net, row.currency) },
        ]}
      />
      <Title order={3}>MRR and churn</Title>
      {report.subscriptions.length > 0 && (
        <figure style={{ margin: 0 }} aria-label="Monthly recurring revenue per currency">
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={report.subscriptions} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="currency" />
              <YAxis width={100} />
              <Tooltip />
              <Bar dataKey="mrr" name="MRR (minor units)" fill="#1c5d99" />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
      <DataTable
        caption="Subscriptions"
        rows={report.subscriptions}
        rowKey={(row) => row.currency}
        columns={[
          { header: 'Currency', cell: (row) => row.currency },
          { header: 'MRR', cell: (row) => formatMinor(row.mrr, row.currency) },
          { header: 'Active at start', cell: (row) => row.activeAtStart },
          { header: 'Canceled', cell: (row) => row.canceledInPeriod },
          { header: 'Churn', cell: (row) => (row.churnRate === null ? '—' : row.churnRate) },
        ]}
      />
      <DataTable
        caption="Payouts paid"
        rows={report.payoutsPaid}
        rowKey={(row) => `${row.period}-${row.currency}`}
        columns={[
          { header: 'Period', cell: (row) => row.period },
          { header: 'Payouts', cell: (row) => row.payouts },
          { header: 'Amount', cell: (row) => formatMinor(row.amount, row.currency) },
        ]}
      />
    </Stack>
  );
}
