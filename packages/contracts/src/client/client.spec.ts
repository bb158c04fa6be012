import { AstrixClient, eventStreamUrl } from './index';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function recordingClient(): { client: AstrixClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    sent.push({
      url,
      method: String(init.method),
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    return new Response(JSON.stringify({ id: 'x' }), { status: 201 });
  }) as unknown as typeof fetch;
  return {
    client: new AstrixClient({ baseUrl: 'https://billing.test/', token: 't', fetch: fakeFetch }),
    sent,
  };
}

describe('AstrixClient money-moving calls', () => {
  it('send the caller’s Idempotency-Key, so a retry with the same key cannot move money twice', async () => {
    const { client, sent } = recordingClient();
    await client.refundCharge('chg_1', { amount: 500, reason: 'goodwill' }, { idempotencyKey: 'refund-42' });
    await client.refundCharge('chg_1', { amount: 500, reason: 'goodwill' }, { idempotencyKey: 'refund-42' });
    expect(sent.map((request) => [request.method, request.url, request.headers['idempotency-key']])).toEqual([
      ['POST', 'https://billing.test/v1/admin/charges/chg_1/refunds', 'refund-42'],
      ['POST', 'https://billing.test/v1/admin/charges/chg_1/refunds', 'refund-42'],
    ]);
    expect(sent[0].body).toEqual({ amount: 500, reason: 'goodwill' });
  });

  it('generate a fresh key per call when none is given, on every money-moving route', async () => {
    const { client, sent } = recordingClient();
    await client.requestPayout({ accountId: 'acct_1', method: 'stripe_connect' });
    await client.refundCharge('chg_1', { reason: 'all of it' });
    await client.issueCreditNote('inv_1', { amount: 100, reason: 'settled by bank' });
    await client.creditCustomerBalance('cust_1', { amount: 100, currency: 'USD', reason: 'outage' });
    await client.retryInvoicePayment('inv_1');
    await client.approvePayout('po_1');
    await client.retryPayout('po_1');
    await client.markPayoutPaid('po_1', { reference: 'BANK-1' });
    expect(sent.map((request) => request.url.replace('https://billing.test', ''))).toEqual([
      '/v1/payouts',
      '/v1/admin/charges/chg_1/refunds',
      '/v1/admin/invoices/inv_1/credit-notes',
      '/v1/admin/customers/cust_1/balance-credits',
      '/v1/admin/invoices/inv_1/retry-payment',
      '/v1/admin/payouts/po_1/approve',
      '/v1/admin/payouts/po_1/retry',
      '/v1/admin/payouts/po_1/mark-paid',
    ]);
    const keys = sent.map((request) => request.headers['idempotency-key']);
    expect(keys.every((key) => /^[0-9a-f-]{36}$/.test(key))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('eventStreamUrl', () => {
  it('puts the stream token (and a staff userId) in the query, encoded, for an EventSource', () => {
    expect(eventStreamUrl('https://billing.example.com/', 'sst_a.b-c_d')).toBe(
      'https://billing.example.com/v1/billing/stream?token=sst_a.b-c_d',
    );
    expect(eventStreamUrl('https://billing.example.com', 'sst_x', { userId: 'user 1&2' })).toBe(
      'https://billing.example.com/v1/billing/stream?token=sst_x&userId=user+1%262',
    );
  });
});

describe('AstrixClient usage reports', () => {
  it('ask for the minimal answer to a batch only when told to', async () => {
    const { client, sent } = recordingClient();
    const event = {
      customerId: 'u_1',
      featureId: 'api-calls',
      timestamp: '2026-12-07T10:00:00Z',
      idempotencyKey: 'k-1',
    };
    await client.reportUsage([event], { minimal: true });
    await client.reportUsage([event]);
    await client.reportUsage(event);
    expect(sent.map((request) => request.headers.prefer)).toEqual(['return=minimal', undefined, undefined]);
    expect(sent.map((request) => request.body)).toEqual([{ events: [event] }, { events: [event] }, event]);
  });
});
