import { COLORS } from '../colors';
import {
  Alert,
  Badge,
  Button,
  Group,
  NativeSelect,
  SegmentedControl,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import type { Page, PayoutView } from '@astrix/contracts';
import { useState } from 'react';
import { downloadCsv, useApi } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { formatDate, formatMinor } from '../money';
import { can } from '../permissions';
import { useSignedIn } from '../session';

const STATUSES = ['requested', 'approved', 'processing', 'failed', 'paid', 'rejected'] as const;

/** The payout queue: finance approves or rejects; above the four-eyes amount two different people approve. */
export function Payouts() {
  const session = useSignedIn();
  const [status, setStatus] = useState<string>('requested');
  const payouts = useApi<Page<PayoutView>>(
    can(session.roles, 'payouts.review') ? `/v1/admin/payouts?status=${status}&limit=50` : null,
  );
  if (!can(session.roles, 'payouts.review')) {
    return <Text>Payouts are reviewed by finance.</Text>;
  }
  return (
    <Stack>
      <Title order={2}>Payout queue</Title>
      <SegmentedControl
        aria-label="Payout status"
        data={STATUSES.map((value) => ({ value, label: value }))}
        value={status}
        onChange={setStatus}
      />
      <QueryView query={payouts}>
        {(page) => (
          <DataTable
            caption={`Payouts ${status}`}
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Payout', cell: (row) => row.id },
              { header: 'Trader', cell: (row) => row.userId },
              { header: 'Amount', cell: (row) => formatMinor(row.amount, row.currency) },
              { header: 'Requested', cell: (row) => formatDate(row.requestedAt) },
              {
                header: 'Approvals',
                cell: (row) => (
                  <Stack gap={2}>
                    {row.requiresSecondApproval && (
                      <Badge color={COLORS.info} variant="filled">
                        four-eyes
                      </Badge>
                    )}
                    {row.approvals.length === 0 ? (
                      <Text size="xs">none yet</Text>
                    ) : (
                      row.approvals.map((approval) => (
                        <Text size="xs" key={approval.approvedBy}>
                          approved by {approval.approvedBy} at {formatDate(approval.approvedAt)}
                        </Text>
                      ))
                    )}
                  </Stack>
                ),
              },
              { header: 'Status', cell: (row) => row.status },
              {
                header: 'Actions',
                cell: (row) => <PayoutActions payout={row} me={session.sub} />,
              },
            ]}
          />
        )}
      </QueryView>
      <ManualPayouts />
    </Stack>
  );
}

/** Bank and crypto payouts approved for payment by hand: the CSV for the bank, and marking one paid. */
function ManualPayouts() {
  const session = useSignedIn();
  const [method, setMethod] = useState<'bank_transfer' | 'crypto'>('bank_transfer');
  const [error, setError] = useState<string | null>(null);
  const queue = useApi<{ data: PayoutView[] }>(`/v1/admin/payouts/manual?method=${method}`);
  return (
    <Stack>
      <Title order={2}>Manual payouts</Title>
      <Group align="flex-end">
        <NativeSelect
          label="Method"
          data={['bank_transfer', 'crypto']}
          value={method}
          onChange={(event) => setMethod(event.currentTarget.value as 'bank_transfer' | 'crypto')}
        />
        <Button
          variant="default"
          onClick={() => {
            setError(null);
            downloadCsv(
              session.token,
              `/v1/admin/payouts/manual?method=${method}`,
              `payouts-${method}.csv`,
            ).catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
          }}
        >
          Export CSV for the bank
        </Button>
      </Group>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <QueryView query={queue}>
        {(page) => (
          <DataTable
            caption={`Manual payouts to pay (${method})`}
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Payout', cell: (row) => row.id },
              { header: 'Trader', cell: (row) => row.userId },
              { header: 'Amount', cell: (row) => formatMinor(row.amount, row.currency) },
              { header: 'Requested', cell: (row) => formatDate(row.requestedAt) },
              {
                header: 'Actions',
                cell: (row) => (
                  <ActionButton
                    label="Mark paid"
                    title={`Mark ${row.id} paid`}
                    description="Records the payout as paid by hand, with the bank or crypto desk's reference."
                    path={`/v1/admin/payouts/${row.id}/mark-paid`}
                    fields={[{ name: 'reference', label: 'Payment reference', kind: 'text', required: true }]}
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

function PayoutActions({ payout, me }: { payout: PayoutView; me: string }) {
  if (payout.status === 'failed') {
    return (
      <ActionButton
        label="Retry"
        title={`Retry payout ${payout.id}`}
        description="Runs the failed transfer again with its original idempotency key: it cannot pay twice."
        path={`/v1/admin/payouts/${payout.id}/retry`}
      />
    );
  }
  if (payout.status !== 'requested') return null;
  const approvedByMe = payout.approvals.some((approval) => approval.approvedBy === me);
  const first = payout.approvals[0];
  return (
    <Group gap="xs">
      {approvedByMe ? (
        <Text size="xs">You approved; a second finance user must approve.</Text>
      ) : (
        <ActionButton
          label={first ? 'Second approval' : 'Approve'}
          title={`Approve payout ${payout.id}`}
          description={
            first
              ? `${first.approvedBy} approved first. Your approval completes the four-eyes check and pays ${formatMinor(payout.amount, payout.currency)}.`
              : payout.requiresSecondApproval
                ? `Above the four-eyes amount: after you, a different finance user must approve ${formatMinor(payout.amount, payout.currency)}.`
                : `Approves and pays ${formatMinor(payout.amount, payout.currency)}.`
          }
          path={`/v1/admin/payouts/${payout.id}/approve`}
          color={COLORS.ok}
        />
      )}
      <ActionButton
        label="Reject"
        title={`Reject payout ${payout.id}`}
        description="Rejects the request; the reserved amount is released to the trader's balance."
        path={`/v1/admin/payouts/${payout.id}/reject`}
        fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
        color={COLORS.danger}
      />
    </Group>
  );
}
