import {
  Alert,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  MultiSelect,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import {
  API_KEY_SCOPES,
  EVENT_TYPES,
  type ApiKeyView,
  type CreateApiKeyResponse,
  type CreateWebhookEndpointResponse,
  type Page,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from '@astrix/contracts';
import { useState } from 'react';
import { newIdempotencyKey, useApi, useApiMutation } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable, QueryView } from '../components/Query';
import { formatDate } from '../money';
import { can } from '../permissions';
import { useSignedIn } from '../session';

/** A secret the API shows once: displayed until dismissed, never stored by the console. */
function OnceSecret({ label, secret, onDismiss }: { label: string; secret: string; onDismiss: () => void }) {
  return (
    <Alert color="dark" variant="outline" title={`${label}: shown once`} role="status">
      <Stack gap="xs">
        <Text size="sm">
          Store it now: the API keeps only a hash (keys) or a sealed copy (webhook secrets).
        </Text>
        <Code block aria-label={label}>
          {secret}
        </Code>
        <Group>
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onDismiss}>
            I have stored it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/** Sibling services' API keys and outbound webhook endpoints (admin only). */
export function Integrations() {
  const session = useSignedIn();
  if (!can(session.roles, 'apiKeys.manage'))
    return <Text>API keys and webhook endpoints are managed by admins.</Text>;
  return (
    <Stack gap="xl">
      <ApiKeys />
      <WebhookEndpoints />
    </Stack>
  );
}

function ApiKeys() {
  const keys = useApi<Page<ApiKeyView>>('/v1/admin/api-keys?limit=100');
  const create = useApiMutation<CreateApiKeyResponse>();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <form
        aria-label="Issue an API key"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { path: '/v1/admin/api-keys', body: { name, scopes }, idempotencyKey: newIdempotencyKey() },
            {
              onSuccess: (created) => {
                setSecret(created.key);
                setName('');
                setScopes([]);
              },
            },
          );
        }}
      >
        <Stack gap="xs">
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <Checkbox.Group label="Scopes" value={scopes} onChange={setScopes}>
            <Group mt={4}>
              {API_KEY_SCOPES.map((scope) => (
                <Checkbox key={scope} value={scope} label={scope} />
              ))}
            </Group>
          </Checkbox.Group>
          <Group>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || scopes.length === 0}>
              Issue key
            </Button>
          </Group>
          {create.error && (
            <Alert color="red" role="alert">
              {create.error.message}
            </Alert>
          )}
        </Stack>
      </form>
      {secret && <OnceSecret label="New API key" secret={secret} onDismiss={() => setSecret(null)} />}
      <QueryView query={keys}>
        {(page) => (
          <DataTable
            caption="API keys"
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Name', cell: (row) => row.name },
              { header: 'Prefix', cell: (row) => <Code>{row.prefix}</Code> },
              { header: 'Scopes', cell: (row) => row.scopes.join(', ') },
              { header: 'Last used', cell: (row) => formatDate(row.lastUsedAt) },
              { header: 'Expires', cell: (row) => formatDate(row.expiresAt) },
              { header: 'Revoked', cell: (row) => formatDate(row.revokedAt) },
              {
                header: 'Actions',
                cell: (row) =>
                  row.revokedAt ? null : (
                    <ActionButton
                      label="Revoke"
                      title={`Revoke ${row.name}`}
                      description="The key gets 401 from now on."
                      path={`/v1/admin/api-keys/${row.id}/revoke`}
                      color="#a61e1e"
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

function WebhookEndpoints() {
  const endpoints = useApi<Page<WebhookEndpointView>>('/v1/admin/webhook-endpoints?limit=100');
  const create = useApiMutation<CreateWebhookEndpointResponse>();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <Stack>
      <Title order={2}>Webhook endpoints</Title>
      <form
        aria-label="Add a webhook endpoint"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            {
              path: '/v1/admin/webhook-endpoints',
              body: { url, eventTypes, description },
              idempotencyKey: newIdempotencyKey(),
            },
            {
              onSuccess: (created) => {
                setSecret(created.secret);
                setUrl('');
                setDescription('');
                setEventTypes([]);
              },
            },
          );
        }}
      >
        <Stack gap="xs">
          <TextInput
            label="URL"
            required
            value={url}
            onChange={(event) => setUrl(event.currentTarget.value)}
          />
          <TextInput
            label="Description"
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
          />
          <MultiSelect
            label="Event types"
            data={[...EVENT_TYPES]}
            value={eventTypes}
            onChange={setEventTypes}
            searchable
          />
          <Group>
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!url.trim() || eventTypes.length === 0}
            >
              Add endpoint
            </Button>
          </Group>
          {create.error && (
            <Alert color="red" role="alert">
              {create.error.message}
            </Alert>
          )}
        </Stack>
      </form>
      {secret && <OnceSecret label="Signing secret" secret={secret} onDismiss={() => setSecret(null)} />}
      <QueryView query={endpoints}>
        {(page) => (
          <DataTable
            caption="Webhook endpoints"
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'URL', cell: (row) => row.url },
              { header: 'Events', cell: (row) => row.eventTypes.join(', ') },
              {
                header: 'Status',
                cell: (row) => `${row.status}${row.disabledReason ? ` (${row.disabledReason})` : ''}`,
              },
              { header: 'Failing since', cell: (row) => formatDate(row.failingSince) },
              {
                header: 'Actions',
                cell: (row) => (
                  <Group gap={4}>
                    <Button size="xs" variant="default" onClick={() => setSelected(row.id)}>
                      Deliveries
                    </Button>
                    {row.status === 'enabled' ? (
                      <ActionButton
                        label="Disable"
                        title={`Disable ${row.url}`}
                        description="No deliveries until enabled again."
                        path={`/v1/admin/webhook-endpoints/${row.id}/disable`}
                      />
                    ) : (
                      <ActionButton
                        label="Enable"
                        title={`Enable ${row.url}`}
                        description="Deliveries resume."
                        path={`/v1/admin/webhook-endpoints/${row.id}/enable`}
                      />
                    )}
                    <ActionButton
                      label="Rotate secret"
                      title={`Rotate the signing secret of ${row.url}`}
                      description="A new secret signs from now on; the old one also signs during the grace period (hours, 0–168, default 24)."
                      path={`/v1/admin/webhook-endpoints/${row.id}/rotate-secret`}
                      fields={[{ name: 'graceHours', label: 'Grace hours', kind: 'text' }]}
                      transform={(body) =>
                        body.graceHours === undefined
                          ? body
                          : { ...body, graceHours: Number(body.graceHours) }
                      }
                      onDone={(result) => setSecret((result as CreateWebhookEndpointResponse).secret)}
                    />
                  </Group>
                ),
              },
            ]}
          />
        )}
      </QueryView>
      {selected && <Deliveries endpointId={selected} />}
    </Stack>
  );
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const deliveries = useApi<Page<WebhookDeliveryView>>(
    `/v1/admin/webhook-endpoints/${endpointId}/deliveries?limit=50`,
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>Deliveries of {endpointId}</Title>
        <ActionButton
          label="Replay a time range"
          title="Replay events"
          description="Sends again every subscribed event that occurred in [from, to)."
          path={`/v1/admin/webhook-endpoints/${endpointId}/replay`}
          fields={[
            { name: 'from', label: 'From (ISO 8601 instant)', kind: 'text', required: true },
            { name: 'to', label: 'To (ISO 8601 instant)', kind: 'text', required: true },
          ]}
          asQuery
        />
      </Group>
      <QueryView query={deliveries}>
        {(page) => (
          <DataTable
            caption="Deliveries"
            rows={page.data}
            rowKey={(row) => row.id}
            columns={[
              { header: 'Event', cell: (row) => `${row.eventType} ${row.eventId}` },
              { header: 'Status', cell: (row) => row.status },
              { header: 'Attempts', cell: (row) => row.attempts },
              { header: 'Last HTTP status', cell: (row) => row.lastStatusCode ?? '—' },
              { header: 'Next attempt', cell: (row) => formatDate(row.nextAttemptAt) },
              {
                header: 'Actions',
                cell: (row) =>
                  row.status === 'succeeded' ? null : (
                    <ActionButton
                      label="Retry now"
                      title={`Retry delivery ${row.id}`}
                      description="Sends this delivery again now."
                      path={`/v1/admin/webhook-endpoints/${endpointId}/deliveries/${row.id}/retry`}
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
