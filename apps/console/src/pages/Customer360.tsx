import { COLORS } from '../colors';
import { Alert, Badge, Card, Code, Group, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core';
import type {
  AccountView,
  AuditEntryView,
  ChargeView,
  Customer360View,
  FraudSignalView,
  InvoiceView,
  PayoutView,
  RefundView,
  SubscriptionView,
  DunningView,
} from '@astrix/contracts';
import { useParams } from 'react-router';
import { useApi } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { Paged } from '../components/useMore';
import { formatDate, formatMinor } from '../money';
import { can } from '../permissions';
import { useSignedIn } from '../session';
import { parseLineCorrections, pauseActionFor, regenerationOf } from '../customer-actions';
import { FraudBadge } from './Customers';
import { CustomerEvents, CustomerExtras } from './CustomerExtras';
import { CreditNotesButton, InvoicePdfButton } from './InvoiceDocuments';

/** Everything about one customer, each section the first page the API returns, with the actions staff may take. */
export function Customer360Page() {
  const { id = '' } = useParams();
  const view = useApi<Customer360View>(`/v1/admin/customers/${encodeURIComponent(id)}?limit=25`);
  return <QueryView query={view}>{(data) => <Customer360 view={data} />}</QueryView>;
}

function Customer360({ view }: { view: Customer360View }) {
  const session = useSignedIn();
  const allowed = (permission: Parameters<typeof can>[1]) => can(session.roles, permission);
  const { profile } = view;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{profile.email ?? profile.userId}</Title>
        <Group gap="xs">
          <FraudBadge status={profile.fraudStatus} />
          {allowed('customer.block') &&
            (profile.fraudStatus === 'blocked' ? (
              <ActionButton
                label="Unblock customer"
                title="Unblock this customer"
                description="The customer can check out again."
                path={`/v1/admin/customers/${profile.id}/unblock`}
                fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
              />
            ) : (
              <ActionButton
                label="Block customer"
                title="Block this customer"
                description="A blocked customer cannot check out (the message they see reveals nothing)."
                path={`/v1/admin/customers/${profile.id}/block`}
                fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
                color={COLORS.danger}
              />
            ))}
        </Group>
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, md: 3 }} spacing="xs">
          <Text size="sm">
            Customer <Code>{profile.id}</Code>
          </Text>
          <Text size="sm">
            User id <Code>{profile.userId}</Code>
          </Text>
          <Text size="sm">
            Stripe <Code>{profile.stripeCustomerId ?? '—'}</Code>
          </Text>
          <Text size="sm">Customer since {formatDate(profile.createdAt)}</Text>
          {profile.totals.map((total) => (
            <Text size="sm" key={total.currency}>
              {total.currency}: paid {formatMinor(total.paid, total.currency)}, refunded{' '}
              {formatMinor(total.refunded, total.currency)}
            </Text>
          ))}
        </SimpleGrid>
      </Card>
      <Tabs defaultValue="payments" keepMounted={false}>
        <Tabs.List aria-label="Customer sections">
          <Tabs.Tab value="payments">Charges & refunds</Tabs.Tab>
          <Tabs.Tab value="invoices">Invoices</Tabs.Tab>
          <Tabs.Tab value="subscriptions">Subscriptions</Tabs.Tab>
          <Tabs.Tab value="accounts">Trading accounts</Tabs.Tab>
          <Tabs.Tab value="payouts">Payouts</Tabs.Tab>
          <Tabs.Tab value="fraud">Fraud signals</Tabs.Tab>
          <Tabs.Tab value="more">Balance, usage & entitlements</Tabs.Tab>
          <Tabs.Tab value="audit">Audit trail</Tabs.Tab>
          <Tabs.Tab value="events">Events</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="payments" pt="md">
          <Stack>
            <Paged first={view.charges} customerId={profile.id} section="charges">
              {(rows) => <Charges charges={rows} canRefund={allowed('charge.refund')} />}
            </Paged>
            <Paged first={view.refunds} customerId={profile.id} section="refunds">
              {(rows) => <Refunds refunds={rows} />}
            </Paged>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="invoices" pt="md">
          <Stack>
            <Paged first={view.invoices} customerId={profile.id} section="invoices">
              {(rows) => <Invoices invoices={rows} />}
            </Paged>
            <Paged first={view.dunning} customerId={profile.id} section="dunning">
              {(rows) => <Dunning cases={rows} />}
            </Paged>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="subscriptions" pt="md">
          <Paged first={view.subscriptions} customerId={profile.id} section="subscriptions">
            {(rows) => <Subscriptions subscriptions={rows} />}
          </Paged>
        </Tabs.Panel>
        <Tabs.Panel value="accounts" pt="md">
          <Paged first={view.accounts} customerId={profile.id} section="accounts">
            {(rows) => <Accounts accounts={rows} />}
          </Paged>
        </Tabs.Panel>
        <Tabs.Panel value="payouts" pt="md">
          <Paged first={view.payouts} customerId={profile.id} section="payouts">
            {(rows) => <CustomerPayouts payouts={rows} />}
          </Paged>
        </Tabs.Panel>
        <Tabs.Panel value="fraud" pt="md">
          <Paged first={view.fraudSignals} customerId={profile.id} section="fraud-signals">
            {(rows) => <FraudSignals signals={rows} />}
          </Paged>
        </Tabs.Panel>
        <Tabs.Panel value="more" pt="md">
          <CustomerExtras customerId={profile.id} />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <Paged first={view.audit} customerId={profile.id} section="audit">
            {(rows) => <Audit entries={rows} />}
          </Paged>
        </Tabs.Panel>
        <Tabs.Panel value="events" pt="md">
          <CustomerEvents customerId={profile.id} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Charges({ charges, canRefund }: { charges: ChargeView[]; canRefund: boolean }) {
  return (
    <DataTable
      caption="Charges"
      rows={charges}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Charge', cell: (row) => row.id },
        { header: 'Paid', cell: (row) => formatDate(row.paidAt) },
        { header: 'Amount', cell: (row) => formatMinor(row.amount.amount, row.amount.currency) },
        {
          header: 'Refunded',
          cell: (row) => formatMinor(row.amountRefunded.amount, row.amountRefunded.currency),
        },
        { header: 'Status', cell: (row) => row.status },
        {
          header: 'Card',
          cell: (row) => (row.card ? `${row.card.brand ?? ''} •••• ${row.card.last4 ?? ''}` : '—'),
        },
        {
          header: 'Actions',
          cell: (row) =>
            canRefund && row.amountRefunded.amount < row.amount.amount && row.status !== 'disputed' ? (
              <ActionButton
                label="Refund"
                title={`Refund charge ${row.id}`}
                description={`Refunds through Stripe, with a credit note. Leave the amount empty to refund everything still refundable; otherwise a partial refund in ${row.amount.currency}.`}
                path={`/v1/admin/charges/${row.id}/refunds`}
                fields={[
                  {
                    name: 'amount',
                    label: `Amount (${row.amount.currency}, e.g. 12.50; empty = full refund)`,
                    kind: 'amount',
                    currency: row.amount.currency,
                  },
                  { name: 'reason', label: 'Reason', kind: 'reason' },
                ]}
                color={COLORS.danger}
              />
            ) : null,
        },
      ]}
    />
  );
}

function Refunds({ refunds }: { refunds: RefundView[] }) {
  return (
    <DataTable
      caption="Refunds"
      rows={refunds}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Refund', cell: (row) => row.id },
        { header: 'Charge', cell: (row) => row.chargeId },
        { header: 'Amount', cell: (row) => formatMinor(row.amount.amount, row.amount.currency) },
        { header: 'Reason', cell: (row) => row.reason },
        { header: 'Status', cell: (row) => row.status },
        { header: 'Credit note', cell: (row) => row.creditNoteId ?? '—' },
        { header: 'Created', cell: (row) => formatDate(row.createdAt) },
      ]}
    />
  );
}

function Invoices({ invoices }: { invoices: InvoiceView[] }) {
  const session = useSignedIn();
  return (
    <DataTable
      caption="Invoices"
      rows={invoices}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Number', cell: (row) => row.number },
        { header: 'Issued', cell: (row) => formatDate(row.issuedAt) },
        { header: 'Total', cell: (row) => formatMinor(row.total, row.currency) },
        { header: 'Paid', cell: (row) => formatMinor(row.amountPaid, row.currency) },
        { header: 'Status', cell: (row) => <InvoiceStatus invoice={row} invoices={invoices} /> },
        { header: 'Reason', cell: (row) => row.billingReason },
        {
          header: 'Actions',
          cell: (row) => (
            <Group gap={4}>
              {can(session.roles, 'invoice.pdf') && <InvoicePdfButton invoice={row} />}
              {can(session.roles, 'invoice.pdf') && row.status === 'paid' && (
                <CreditNotesButton invoice={row} />
              )}
              {can(session.roles, 'invoice.regenerate') &&
                regenerationOf(row, invoices).kind === 'regenerable' && (
                  <ActionButton
                    label="Regenerate"
                    title={`Regenerate ${row.number}`}
                    description="Issues a new invoice with the same lines, linked to this voided one, and collects it at once (credit on the balance is applied first). Once per voided invoice."
                    path={`/v1/admin/invoices/${row.id}/regenerate`}
                    fields={[
                      {
                        name: 'lines',
                        label: 'Corrected quantities (optional)',
                        kind: 'text',
                        description:
                          'line=quantity, e.g. 1=2 bills the first line twice at its unit price; lines not named are copied',
                      },
                      { name: 'reason', label: 'Reason', kind: 'reason' },
                    ]}
                    transform={(body) =>
                      typeof body.lines === 'string'
                        ? { ...body, lines: parseLineCorrections(body.lines) }
                        : body
                    }
                  />
                )}
              {can(session.roles, 'invoice.creditNote') && row.status === 'paid' && (
                <ActionButton
                  label="Credit note"
                  title={`Credit note on ${row.number}`}
                  description="A credit note without a refund (settled outside Stripe); never above what is still creditable."
                  path={`/v1/admin/invoices/${row.id}/credit-notes`}
                  fields={[
                    {
                      name: 'amount',
                      label: `Amount (${row.currency})`,
                      kind: 'amount',
                      currency: row.currency,
                      required: true,
                    },
                    { name: 'reason', label: 'Reason', kind: 'reason' },
                  ]}
                />
              )}
              {can(session.roles, 'invoice.void') && row.status === 'open' && (
                <ActionButton
                  label="Void"
                  title={`Void ${row.number}`}
                  description="Voids the unpaid invoice; credit spent on it returns to the customer's balance."
                  path={`/v1/admin/invoices/${row.id}/void`}
                  fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
                  color={COLORS.danger}
                />
              )}
              {can(session.roles, 'invoice.retryPayment') && row.status === 'open' && (
                <ActionButton
                  label="Retry payment"
                  title={`Collect ${row.number} now`}
                  description="Tries the customer's payment method now."
                  path={`/v1/admin/invoices/${row.id}/retry-payment`}
                />
              )}
              {can(session.roles, 'invoice.retryPayment') && (
                <ActionButton
                  label="Resend receipt"
                  title={`Resend the receipt of ${row.number}`}
                  description="Asks the notifications service to email the receipt again (to the customer, or the address you give)."
                  path={`/v1/admin/invoices/${row.id}/resend-receipt`}
                  fields={[{ name: 'email', label: 'Email (optional)', kind: 'text' }]}
                />
              )}
            </Group>
          ),
        },
      ]}
    />
  );
}

/** The status, with the regeneration link either way (replaced by, or replacing, another invoice). */
function InvoiceStatus({ invoice, invoices }: { invoice: InvoiceView; invoices: InvoiceView[] }) {
  const regeneration = regenerationOf(invoice, invoices);
  const replaced = invoice.regeneratedFromInvoiceId
    ? (invoices.find((other) => other.id === invoice.regeneratedFromInvoiceId)?.number ??
      invoice.regeneratedFromInvoiceId)
    : null;
  return (
    <Stack gap={0}>
      <Text size="sm">{invoice.status}</Text>
      {regeneration.kind === 'regenerated' && (
        <Text size="xs" c="dimmed">
          regenerated as {regeneration.as.number}
        </Text>
      )}
      {replaced && (
        <Text size="xs" c="dimmed">
          replaces {replaced}
        </Text>
      )}
    </Stack>
  );
}

function Dunning({ cases }: { cases: DunningView[] }) {
  const session = useSignedIn();
  return (
    <DataTable
      caption="Dunning (unpaid subscription invoices being collected)"
      rows={cases}
      rowKey={(row) => row.invoiceId}
      columns={[
        { header: 'Invoice', cell: (row) => row.invoiceId },
        { header: 'Status', cell: (row) => row.status },
        { header: 'Failed attempts', cell: (row) => row.failedAttempts },
        { header: 'Next attempt', cell: (row) => formatDate(row.nextAttemptAt) },
        { header: 'Last failure', cell: (row) => row.lastFailure?.message ?? '—' },
        {
          header: 'Actions',
          cell: (row) =>
            can(session.roles, 'invoice.dunning') ? (
              <DunningActions invoiceId={row.invoiceId} status={row.status} />
            ) : null,
        },
      ]}
    />
  );
}

export function DunningActions({ invoiceId, status }: { invoiceId: string; status: string }) {
  return status === 'paused' ? (
    <ActionButton
      label="Resume retries"
      title="Resume dunning"
      description="Retries start again on the schedule."
      path={`/v1/admin/invoices/${invoiceId}/dunning/resume`}
    />
  ) : (
    <ActionButton
      label="Pause retries"
      title="Pause dunning"
      description="No more automatic retries until resumed."
      path={`/v1/admin/invoices/${invoiceId}/dunning/pause`}
    />
  );
}

function Subscriptions({ subscriptions }: { subscriptions: SubscriptionView[] }) {
  const session = useSignedIn();
  return (
    <DataTable
      caption="Subscriptions"
      rows={subscriptions}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Subscription', cell: (row) => row.id },
        { header: 'Status', cell: (row) => row.status },
        {
          header: 'Price',
          cell: (row) =>
            `${formatMinor(row.unitAmount.amount, row.unitAmount.currency)} × ${row.quantity} / ${row.intervalCount > 1 ? `${row.intervalCount} ` : ''}${row.interval}`,
        },
        { header: 'Period ends', cell: (row) => formatDate(row.currentPeriodEnd) },
        {
          header: 'Actions',
          cell: (row) =>
            can(session.roles, 'subscription.cancel') && row.status !== 'canceled' ? (
              <Group gap={4}>
                {can(session.roles, 'subscription.pause') && <PauseAction subscription={row} />}
                {row.status === 'trialing' && can(session.roles, 'subscription.trial') && (
                  <ActionButton
                    label="Set trial length"
                    title={`Trial of ${row.id}`}
                    description="The trial lasts this many days from its start instead of the plan's; the period end moves (audited)."
                    path={`/v1/admin/subscriptions/${row.id}/trial`}
                    fields={[
                      { name: 'trialDays', label: 'Trial days (1–365)', kind: 'text', required: true },
                      { name: 'reason', label: 'Reason', kind: 'reason' },
                    ]}
                    transform={(body) => ({ ...body, trialDays: Number(body.trialDays) })}
                  />
                )}
                <ActionButton
                  label="Cancel now"
                  title={`Cancel ${row.id}`}
                  description="Cancels the subscription now, without proration (audited)."
                  path={`/v1/admin/subscriptions/${row.id}/cancel`}
                  color={COLORS.danger}
                />
              </Group>
            ) : null,
        },
      ]}
    />
  );
}

/** Pause (no invoices until resumed) or resume (a new period, invoiced at once), as the API allows. */
function PauseAction({ subscription }: { subscription: SubscriptionView }) {
  const action = pauseActionFor(subscription);
  if (action === 'pause') {
    return (
      <ActionButton
        label="Pause"
        title={`Pause ${subscription.id}`}
        description="No period is invoiced while paused and entitlements are denied; invoices already issued are still collected. Resuming starts a new period, invoiced at once (audited)."
        path={`/v1/admin/subscriptions/${subscription.id}/pause`}
        fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
      />
    );
  }
  if (action === 'resume') {
    return (
      <ActionButton
        label="Resume"
        title={`Resume ${subscription.id}`}
        description="A new period starts now and is invoiced and charged at once, less paid time from before the pause still to come (audited)."
        path={`/v1/admin/subscriptions/${subscription.id}/resume`}
        fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
      />
    );
  }
  return null;
}

function Accounts({ accounts }: { accounts: AccountView[] }) {
  const session = useSignedIn();
  return (
    <DataTable
      caption="Trading accounts"
      rows={accounts}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Account', cell: (row) => row.id },
        { header: 'Kind', cell: (row) => row.kind },
        { header: 'Size', cell: (row) => `${row.size} ${row.currency}` },
        { header: 'Phase', cell: (row) => `${row.phase} of ${row.phases}` },
        { header: 'Status', cell: (row) => row.status },
        {
          header: 'Actions',
          cell: (row) => (
            <Group gap={4}>
              {can(session.roles, 'account.releaseHold') && row.status === 'on_hold' && (
                <ActionButton
                  label="Release hold"
                  title={`Release the hold on ${row.id}`}
                  description="Provisions the account held for review."
                  path={`/v1/admin/accounts/${row.id}/release-hold`}
                  fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
                />
              )}
              {can(session.roles, 'account.suspend') && row.status === 'suspended' && (
                <ActionButton
                  label="Reinstate"
                  title={`Reinstate ${row.id}`}
                  description="Returns the suspended account to where it was (the state machine decides)."
                  path={`/v1/admin/accounts/${row.id}/reinstate`}
                  fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
                />
              )}
              {can(session.roles, 'account.suspend') &&
                ['active', 'funded', 'passed'].includes(row.status) && (
                  <ActionButton
                    label="Suspend"
                    title={`Suspend ${row.id}`}
                    description="Stops trading on the account until reinstated (audited)."
                    path={`/v1/admin/accounts/${row.id}/suspend`}
                    fields={[{ name: 'reason', label: 'Reason', kind: 'reason' }]}
                    color={COLORS.danger}
                  />
                )}
            </Group>
          ),
        },
      ]}
    />
  );
}

function CustomerPayouts({ payouts }: { payouts: PayoutView[] }) {
  return (
    <DataTable
      caption="Payouts"
      rows={payouts}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Payout', cell: (row) => row.id },
        { header: 'Account', cell: (row) => row.accountId },
        { header: 'Amount', cell: (row) => formatMinor(row.amount, row.currency) },
        { header: 'Status', cell: (row) => row.status },
        {
          header: 'Approvals',
          cell: (row) => row.approvals.map((approval) => approval.approvedBy).join(', ') || '—',
        },
        { header: 'Requested', cell: (row) => formatDate(row.requestedAt) },
      ]}
    />
  );
}

function FraudSignals({ signals }: { signals: FraudSignalView[] }) {
  const session = useSignedIn();
  return (
    <DataTable
      caption="Fraud signals"
      rows={signals}
      rowKey={(row) => row.id}
      columns={[
        { header: 'Signal', cell: (row) => row.id },
        { header: 'Rule', cell: (row) => `${row.source}: ${row.rule}` },
        {
          header: 'Severity',
          cell: (row) => (
            <Badge variant="outline" color="dark">
              {row.severity} ({row.score})
            </Badge>
          ),
        },
        { header: 'Status', cell: (row) => row.status },
        { header: 'Reviewer', cell: (row) => (row.reviewer ? `${row.reviewer}: ${row.notes ?? ''}` : '—') },
        { header: 'Raised', cell: (row) => formatDate(row.createdAt) },
        {
          header: 'Actions',
          cell: (row) =>
            can(session.roles, 'fraud.review') && row.status === 'open' ? (
              <Group gap={4}>
                <ActionButton
                  label="Confirm fraud"
                  title={`Confirm signal ${row.id}`}
                  description="A verdict on the signal (once). Block the customer separately if needed."
                  path={`/v1/admin/fraud-signals/${row.id}/confirm`}
                  fields={[{ name: 'notes', label: 'Notes', kind: 'reason' }]}
                  color={COLORS.danger}
                />
                <ActionButton
                  label="Dismiss"
                  title={`Dismiss signal ${row.id}`}
                  description="The signal was not fraud (a verdict, once)."
                  path={`/v1/admin/fraud-signals/${row.id}/dismiss`}
                  fields={[{ name: 'notes', label: 'Notes', kind: 'reason' }]}
                />
              </Group>
            ) : null,
        },
      ]}
    />
  );
}

function Audit({ entries }: { entries: AuditEntryView[] }) {
  if (entries.length === 0) return <Alert>No audit entries for this customer yet.</Alert>;
  return (
    <DataTable
      caption="Audit trail"
      rows={entries}
      rowKey={(row) => row.id}
      columns={[
        { header: 'When', cell: (row) => formatDate(row.occurredAt) },
        { header: 'Who', cell: (row) => `${row.actorType}:${row.actorId}` },
        { header: 'Action', cell: (row) => row.action },
        { header: 'Resource', cell: (row) => `${row.resourceType} ${row.resourceId}` },
        { header: 'Request', cell: (row) => row.requestId ?? '—' },
      ]}
    />
  );
}
