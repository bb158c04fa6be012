import Ajv from 'ajv';
import { EVENT_SCHEMAS, EventType } from '@astrix/contracts';
import { eventually } from '../support/test-app';
import { idempotent } from '../support/idempotency';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';

const ADMIN = { sub: 'user_admin', roles: ['admin'] };

describe('every event the app emits validates against its JSON Schema', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('API keys, a purchase, a refund, a disabled webhook endpoint: all in the outbox, all valid', async () => {
    const key = await t.inject({
      method: 'POST',
      url: '/v1/admin/api-keys',
      headers: t.as(ADMIN),
      payload: { name: 'schemas', scopes: ['usage:read'] },
    });
    await t.inject({
      method: 'POST',
      url: `/v1/admin/api-keys/${key.json().id}/revoke`,
      headers: t.as(ADMIN),
    });
    const endpoint = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: 'http://127.0.0.1:9/hooks', eventTypes: ['billing.payment.completed'] },
    });
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.json().id}/disable`,
      headers: t.as(ADMIN),
    });
    const { charge } = await purchase(t, { sub: 'user_schemas' }, 'evaluation-50k');
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${charge.id as string}/refunds`,
      headers: idempotent(t.as(ADMIN)),
      payload: { reason: 'schema check' },
    });
    expect(refund.statusCode).toBeLessThan(300);
    await eventually(async () => (await t.outbox('billing.refund.processed')).length > 0);

    const rows: Array<{ type: EventType; envelope: unknown }> = await t.dataSource.query(
      'SELECT type, envelope FROM platform.outbox_events ORDER BY position',
    );
    const types = new Set(rows.map((row) => row.type));
    for (const type of [
      'platform.api_key.created',
      'platform.api_key.revoked',
      'platform.webhook_endpoint.disabled',
      'billing.payment.completed',
      'billing.refund.processed',
    ])
      expect(types).toContain(type);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const schemaOf = (type: EventType) =>
      ajv.getSchema(type) ?? (ajv.addSchema(EVENT_SCHEMAS[type], type), ajv.getSchema(type)!);
    const problems = rows.flatMap((row) => {
      const validate = schemaOf(row.type);
      return validate(row.envelope) ? [] : [{ type: row.type, errors: validate.errors }];
    });
    expect(problems).toEqual([]);

    // What webhooks, history and stream carry (envelope + sequence) validates too.
    const history: Array<{ type: EventType; envelope: object; sequence: number }> = await eventually(
      async () => {
        const recorded = await t.dataSource.query(
          'SELECT type, envelope, sequence FROM platform.event_history',
        );
        return recorded.length >= rows.length && recorded;
      },
    );
    // Includes events produced after the outbox was read above (e.g. accounts provisioning).
    const historyProblems = history.filter(
      (row) => !schemaOf(row.type)({ ...row.envelope, sequence: row.sequence }),
    );
    expect(historyProblems).toEqual([]);
  });
});
