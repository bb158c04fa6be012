import type { InvoiceView } from '@astrix/contracts';
import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';

const FINANCE = { sub: 'staff_regen_finance', roles: ['finance'] };
const FINANCE_TOO = { sub: 'staff_regen_finance_2', roles: ['finance'] };
const SUPPORT = { sub: 'staff_regen_support', roles: ['support'] };

describe('staff regenerate a voided invoice: POST /v1/admin/invoices/:id/regenerate (e2e)', () => {
  let t: SubscriptionTestApp;
  let pro: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
  });
  afterAll(() => t.close());

  /** A Pro subscription from 1 April whose May renewal was declined: the renewal is open, in dunning. */
  async function openRenewal(user: string): Promise<{ subscriptionId: string; invoiceId: string }> {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const subscriptionId = created.json().id as string;
    await t.paidInvoicesOf(subscriptionId, 1);
    t.fake.controls.declineNextPayments({ count: 1, declineCode: 'insufficient_funds' });
    await t.runBillingAt('2026-05-01T01:30:00Z');
    const invoiceId = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT invoice_id FROM billing.dunning_cases WHERE subscription_id = $1 AND failed_attempts >= 1`,
        [subscriptionId],
      );
      return row?.invoice_id as string | undefined;
    });
    return { subscriptionId, invoiceId };
  }
  const post = (
    action: 'void' | 'regenerate',
    id: string,
    payload: Record<string, unknown> | undefined,
    key: string | null,
    as: { sub: string; roles: string[] } = FINANCE,
  ) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${id}/${action}`,
      headers: { ...t.as(as), ...(key === null ? {} : { 'idempotency-key': key }) },
      ...(payload === undefined ? {} : { payload }),
    });
  const linesOf = (invoiceId: string) =>
    t.dataSource.query(
      `SELECT kind, description, quantity, unit_amount, amount, discount, period_start, period_end
         FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position`,
      [invoiceId],
    );
  const replacementsOf = (invoiceId: string): Promise<Array<{ id: string }>> =>
    t.dataSource.query('SELECT id FROM billing.invoices WHERE regenerated_from_invoice_id = $1', [invoiceId]);

  it('issues one linked replacement with the same lines, posts and collects it, audited with the reason', async () => {
    const { subscriptionId, invoiceId } = await openRenewal('user_regen_ok');
    expect(
      (await post('void', invoiceId, { reason: 'card declined, wrong seat count' }, null)).statusCode,
    ).toBe(200);

    const key = `regen-${invoiceId}`;
    const response = await post('regenerate', invoiceId, { reason: 'customer updated the card' }, key);
    expect(response.statusCode).toBe(201);
    const replacement = response.json() as InvoiceView;
    expect(replacement).toMatchObject({
      regeneratedFromInvoiceId: invoiceId,
      subscriptionId,
      billingReason: 'subscription_cycle',
      total: 4900,
      periodStart: '2026-05-01T00:00:00.000Z',
    });
    expect(replacement.id).not.toBe(invoiceId);
    const [voided] = await t.dataSource.query('SELECT number FROM billing.invoices WHERE id = $1', [
      invoiceId,
    ]);
    expect(replacement.number).not.toBe(voided.number);
    expect(await linesOf(replacement.id)).toEqual(await linesOf(invoiceId));

    // Collected at once with the (now working) card.
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.invoices WHERE id = $1', [
        replacement.id,
      ]);
      return row.status === 'paid' ? row : undefined;
    });
    // Posted as a finalized invoice, as the billing run's would be; the voided one stays reversed.
    const entries = (await t.dataSource.query(
      `SELECT source_id, event FROM billing.journal_entries WHERE source_id IN ($1, $2) ORDER BY source_id, event`,
      [invoiceId, replacement.id],
    )) as Array<{ source_id: string; event: string }>;
    expect(
      entries.filter((entry) => entry.source_id === replacement.id).map((entry) => entry.event),
    ).toContain('invoice.finalized');
    expect(entries.filter((entry) => entry.source_id === invoiceId).map((entry) => entry.event)).toEqual(
      expect.arrayContaining(['invoice.finalized', 'invoice.voided']),
    );

    // The same key again is the same answer, not a second invoice.
    const replay = await post('regenerate', invoiceId, { reason: 'customer updated the card' }, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.json().id).toBe(replacement.id);
    expect(await replacementsOf(invoiceId)).toHaveLength(1);

    // Staff see the link on the replacement.
    const read = await t.inject({
      method: 'GET',
      url: `/v1/admin/invoices/${replacement.id}`,
      headers: t.as(FINANCE),
    });
    expect(read.json()).toMatchObject({ regeneratedFromInvoiceId: invoiceId });

    // One event names the replacement and the invoice it replaces.
    const events = (await t.dataSource.query(
      `SELECT envelope FROM platform.outbox_events WHERE type = 'billing.invoice.regenerated' AND subject = $1`,
      [replacement.id],
    )) as Array<{ envelope: { data: Record<string, unknown> } }>;
    expect(events.map((row) => row.envelope.data)).toEqual([
      expect.objectContaining({
        invoiceId: replacement.id,
        number: replacement.number,
        regeneratedFromInvoiceId: invoiceId,
        regeneratedFromNumber: voided.number,
        subscriptionId,
      }),
    ]);

    const [audit] = await t.dataSource.query(
      `SELECT actor_id, before, after FROM platform.audit_log WHERE action = 'invoice.regenerated' AND resource_id = $1`,
      [replacement.id],
    );
    expect(audit).toMatchObject({
      actor_id: FINANCE.sub,
      before: { replaces: invoiceId, number: voided.number },
      after: { number: replacement.number, reason: 'customer updated the card' },
    });
  });

  it('refuses what cannot be regenerated with a precise 409, and bad requests with 4xx, changing nothing', async () => {
    const { invoiceId } = await openRenewal('user_regen_refused');
    const notVoid = await post('regenerate', invoiceId, { reason: 'too early' }, `early-${invoiceId}`);
    expect(notVoid.statusCode).toBe(409);
    expect(notVoid.json().error).toMatchObject({ code: 'INVOICE_NOT_VOID' });
    expect(notVoid.json().error.message).toMatch(
      /^invoice \S+ is open: only a voided invoice can be regenerated/,
    );

    expect((await post('void', invoiceId, { reason: 'wrong plan' }, null)).statusCode).toBe(200);
    const noKey = await post('regenerate', invoiceId, { reason: 'fine' }, null);
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const support = await post('regenerate', invoiceId, { reason: 'fine' }, `support-${invoiceId}`, SUPPORT);
    expect(support.statusCode).toBe(403);
    for (const [index, payload] of [
      undefined,
      {},
      { reason: '' },
      { reason: '   ' },
      { reason: 7 },
    ].entries()) {
      const response = await post('regenerate', invoiceId, payload, `bad-${index}-${invoiceId}`);
      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(response.json().error)).toContain('reason');
    }
    const unknown = await post(
      'regenerate',
      'inv_01jzzzzzzzzzzzzzzzzzzzzzzz',
      { reason: 'x' },
      'unknown-regen',
    );
    expect(unknown.statusCode).toBe(404);
    expect(await replacementsOf(invoiceId)).toEqual([]);

    const made = await post('regenerate', invoiceId, { reason: 'right plan' }, `first-${invoiceId}`);
    expect(made.statusCode).toBe(201);
    const again = await post('regenerate', invoiceId, { reason: 'again' }, `second-${invoiceId}`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'ALREADY_REGENERATED' });
    expect(again.json().error.message).toContain(`was already regenerated as ${made.json().number}`);
    expect(await replacementsOf(invoiceId)).toHaveLength(1);
  });

  it('two staff regenerating at once (two keys): one replacement, the other a 409', async () => {
    const { invoiceId } = await openRenewal('user_regen_race');
    expect((await post('void', invoiceId, { reason: 'wrong plan' }, null)).statusCode).toBe(200);
    const responses = await Promise.all([
      post('regenerate', invoiceId, { reason: 'first click' }, `race-a-${invoiceId}`),
      post('regenerate', invoiceId, { reason: 'second click' }, `race-b-${invoiceId}`, FINANCE_TOO),
      post('regenerate', invoiceId, { reason: 'third click' }, `race-c-${invoiceId}`),
    ]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409, 409]);
    for (const refused of responses.filter((response) => response.statusCode === 409)) {
      expect(refused.json().error.code).toBe('ALREADY_REGENERATED');
    }
    expect(await replacementsOf(invoiceId)).toHaveLength(1);
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM billing.invoices
        WHERE subscription_id = (SELECT subscription_id FROM billing.invoices WHERE id = $1)
          AND period_start = '2026-05-01T00:00:00Z' AND status IN ('open', 'paid', 'uncollectible')`,
      [invoiceId],
    );
    expect(count).toBe(1);
  });

  it('bills corrected quantities at the same unit price, refusing corrections it cannot make (422) or read (400)', async () => {
    const { invoiceId } = await openRenewal('user_regen_corrected');
    expect(
      (await post('void', invoiceId, { reason: 'billed one seat, customer has two' }, null)).statusCode,
    ).toBe(200);
    for (const [index, [lines, status, text]] of (
      [
        [[{ position: 9, quantity: 2 }], 422, 'the voided invoice has no line 9 (its lines are 1 to 1)'],
        [[{ position: 1, quantity: 0 }], 400, 'quantity must be a whole number from 1 to 1000000'],
        [[{ position: 1, quantity: 1.5 }], 400, 'quantity must be a whole number from 1 to 1000000'],
        [[{ position: 1 }], 400, 'quantity must be a whole number from 1 to 1000000'],
        [{ position: 1, quantity: 2 }, 400, 'lines must be an array'],
        [
          [
            { position: 1, quantity: 2 },
            { position: 1, quantity: 3 },
          ],
          422,
          'line 1 is corrected twice',
        ],
      ] as const
    ).entries()) {
      const response = await post(
        'regenerate',
        invoiceId,
        { reason: 'seats', lines },
        `bad-lines-${index}-${invoiceId}`,
      );
      expect(response.statusCode).toBe(status);
      expect(JSON.stringify(response.json().error)).toContain(text);
    }
    expect(await replacementsOf(invoiceId)).toEqual([]);

    const response = await post(
      'regenerate',
      invoiceId,
      { reason: 'two seats', lines: [{ position: 1, quantity: 2 }] },
      `corrected-${invoiceId}`,
    );
    expect(response.statusCode).toBe(201);
    const replacement = response.json() as InvoiceView;
    expect(replacement).toMatchObject({ regeneratedFromInvoiceId: invoiceId, subtotal: 9800, total: 9800 });
    expect(replacement.lines).toEqual([
      expect.objectContaining({ quantity: 2, amount: expect.objectContaining({ amount: 9800 }) }),
    ]);
    const [audit] = await t.dataSource.query(
      `SELECT after FROM platform.audit_log WHERE action = 'invoice.regenerated' AND resource_id = $1`,
      [replacement.id],
    );
    expect(audit.after).toMatchObject({ reason: 'two seats', corrections: [{ position: 1, quantity: 2 }] });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
