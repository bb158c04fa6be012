// After the load stops and the queues drain: what must hold whatever crashed on the way.
import { execFileSync } from 'node:child_process';
import { sleep } from './infra.mjs';

function redisList(stack, key) {
  try {
    const out = execFileSync('redis-cli', ['-p', String(stack.redis.port), 'ZRANGE', key, '0', '-1'], {
      encoding: 'utf8',
    }).trim();
    return out === '' ? [] : out.split('\n');
  } catch (error) {
    return [`redis-cli failed: ${error}`];
  }
}

/** What BullMQ holds about a job (its hash), for a finding's detail: ran? failed? why? */
function jobState(stack, queue, id) {
  try {
    const fields = execFileSync(
      'redis-cli',
      ['-p', String(stack.redis.port), 'HGETALL', `${stack.env.QUEUE_PREFIX}:${queue}:${id}`],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split('\n');
    const hash = {};
    for (let index = 0; index + 1 < fields.length; index += 2) {
      if (fields[index] !== 'data' && fields[index] !== 'opts')
        hash[fields[index]] = fields[index + 1].slice(0, 300);
    }
    return Object.keys(hash).length ? hash : 'no such job in Redis';
  } catch (error) {
    return `redis-cli failed: ${error}`;
  }
}

const FINAL_REFUND = new Set(['succeeded', 'failed', 'canceled']);

/**
 * Reads every acknowledged purchase's session from the processor, before the drain. Reading an open
 * session past its expiry expires it (as Stripe's timer would: the sandbox clock moved days ahead)
 * and sends `checkout.session.expired` and `payment_intent.canceled`; read only after the drain, as
 * the purchase invariant does, those events were still on their way when the events invariant
 * looked (found as `stripe_event_never_stored`). Answers how many sessions were read.
 */
export async function readPurchaseSessions({ stack, acknowledged }) {
  let read = 0;
  for (const purchase of acknowledged.purchases) {
    if (await stripeGet(stack, `/v1/checkout/sessions/${purchase.stripeSession}`)) read++;
  }
  return read;
}

/** Waits (bounded) until nothing is in flight: webhooks, outbox, queues, stored Stripe events, deliveries. */
export async function drain({ stack, db, client, tokens, timeoutMs, log }) {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let last = null;
  // What it is still waiting on, every 10 s: a drain that times out shows what never finished.
  let reportedAt = Date.now();
  while (Date.now() < deadline && quiet < 3) {
    const state = await inFlight({ stack, db, client, tokens }).catch((error) => ({ error: String(error) }));
    last = state;
    const busy = state.error
      ? 1
      : Object.values(state).reduce((sum, value) => sum + (typeof value === 'number' ? value : 0), 0);
    quiet = busy === 0 ? quiet + 1 : 0;
    if (busy > 0 && Date.now() - reportedAt >= 10_000) {
      reportedAt = Date.now();
      log({ drain: 'waiting', left: state });
    }
    if (quiet < 3) await sleep(1_000);
  }
  log({ drain: quiet >= 3 ? 'quiet' : 'timed out', left: last });
  return { quiet: quiet >= 3, left: last };
}

async function inFlight({ stack, db, client, tokens }) {
  const events = await (await fetch(`${stack.fakeUrl}/__control/events`)).json();
  const held = await (await fetch(`${stack.fakeUrl}/__control/webhooks/held`)).json();
  // Outbound deliveries: due and not handed to the queue, or handed so long ago that the relay
  // hands them again (its REQUEUE_AFTER_MS, 10 min: a job lost with Redis's data is retried then).
  const [row] = await db.rows(`
    SELECT (SELECT count(*) FROM platform.outbox_events WHERE published_at IS NULL)::int AS outbox,
           (SELECT count(*) FROM billing.stripe_webhook_events WHERE status IN ('received', 'failed'))::int AS stripe_events_received,
           (SELECT count(*) FROM platform.webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
              AND (queued_at IS NULL OR queued_at < now() - interval '10 minutes'))::int AS deliveries_due`);
  const queues = await client.call('GET', '/v1/admin/queues', { token: tokens.finance, retry: false });
  let jobs = 0;
  for (const queue of Array.isArray(queues.body)
    ? queues.body
    : (queues.body?.queues ?? queues.body?.data ?? [])) {
    const counts = queue.counts ?? queue;
    jobs += Number(counts.waiting ?? 0) + Number(counts.active ?? 0) + Number(counts.prioritized ?? 0);
  }
  if (queues.status !== 200) jobs += 1;
  // Jobs waiting out a retry backoff are in flight too (delayed jobs that never ran are schedules).
  /** queue:name#attempts of each, so that a drain that times out says which. */
  const retrying = [];
  for (const queue of ['events', 'billing', 'outbound', 'payouts']) {
    const delayed = await client.call('GET', `/v1/admin/queues/${queue}/jobs?state=delayed&limit=100`, {
      token: tokens.finance,
      retry: false,
    });
    for (const job of delayed.body?.data ?? []) {
      if (job.attemptsMade > 0) {
        jobs++;
        retrying.push(`${queue}:${job.name}#${job.attemptsMade}`);
      }
    }
  }
  return {
    webhooks_pending: events.deliveries.filter((delivery) => delivery.status === 'pending').length,
    webhooks_held: held.held,
    outbox: row.outbox,
    stripe_events_received: row.stripe_events_received,
    deliveries_due: row.deliveries_due,
    jobs,
    ...(retrying.length > 0 ? { retrying } : {}),
  };
}

/**
 * @returns {Promise<{ findings: Array<{invariant: string, detail: unknown}>, figures: Record<string, unknown> }>}
 */
export async function checkInvariants({
  stack,
  db,
  client,
  tokens,
  acknowledged,
  receiver,
  endpointCreatedAt,
  runStartedAt,
  sandboxNow = Date.now(),
}) {
  const findings = [];
  const figures = {};
  const finding = (invariant, detail) => findings.push({ invariant, detail });

  // 1. books check, as an operator runs it, against our fake Stripe.
  let books;
  try {
    books = JSON.parse(
      stack.cli('books', 'check', '--json', '--since', new Date(runStartedAt - 3_600_000).toISOString()),
    );
  } catch (error) {
    // Exit 1 with a report on stdout means findings; anything else is the check failing.
    const stdout = error.stdout ?? '';
    try {
      books = JSON.parse(stdout);
    } catch {
      finding('books_check_failed', String(error.stderr ?? error).slice(0, 2_000));
    }
  }
  if (books) {
    figures.booksFindings = books.findings.length;
    for (const item of books.findings) finding(`books:${item.kind}`, item);
  }

  // 2. Each acknowledged usage event stored exactly once.
  const keys = acknowledged.usage.map((event) => event.key);
  const stored = await db.rows(
    `SELECT idempotency_key, count(*)::int AS n FROM billing.usage_events WHERE idempotency_key = ANY($1) GROUP BY 1`,
    [keys],
  );
  const counts = new Map(stored.map((row) => [row.idempotency_key, row.n]));
  figures.usageAcknowledged = keys.length;
  for (const key of keys) {
    const n = counts.get(key) ?? 0;
    if (n !== 1) finding('usage_not_stored_once', { key, stored: n });
  }

  // 3. Each paid purchase provisioned exactly one account (a reset: reset its account once).
  let paid = 0;
  for (const purchase of acknowledged.purchases) {
    const session = await stripeGet(stack, `/v1/checkout/sessions/${purchase.stripeSession}`);
    if (session?.payment_status !== 'paid') continue;
    paid++;
    const [ours] = await db.rows(
      `SELECT s.status, s.account_id, p.kind, c.id AS charge_id
         FROM billing.checkout_sessions s JOIN billing.products p ON p.id = s.product_id
         LEFT JOIN billing.charges c ON c.checkout_session_id = s.id
        WHERE s.id = $1`,
      [purchase.session],
    );
    if (!ours?.charge_id) {
      finding('paid_purchase_without_charge', { ...purchase, ours });
      continue;
    }
    if (ours.kind === 'reset') {
      const resets = await db.rows(`SELECT outcome FROM accounts.resets WHERE charge_id = $1`, [
        ours.charge_id,
      ]);
      if (resets.length !== 1) finding('paid_reset_not_applied_once', { ...purchase, resets });
    } else {
      const accounts = await db.rows(`SELECT id FROM accounts.accounts WHERE charge_id = $1`, [
        ours.charge_id,
      ]);
      if (accounts.length !== 1)
        finding('paid_purchase_not_one_account', { ...purchase, accounts: accounts.length });
    }
  }
  figures.purchasesAttempted = acknowledged.purchases.length;
  figures.purchasesPaid = paid;

  // 4. Every refund final, or pending within its bound; every acknowledged refund recorded.
  const refunds = await db.rows(`SELECT id, status, created_at FROM billing.refunds`);
  figures.refunds = countBy(refunds, 'status');
  const boundMs = Number(stack.env.REFUND_PENDING_BOUND_SECONDS ?? 3_600) * 1_000;
  for (const refund of refunds) {
    // Bounds are in the sandbox's time: that is the clock the refund sweep goes by.
    if (!FINAL_REFUND.has(refund.status) && sandboxNow - new Date(refund.created_at).getTime() > boundMs) {
      finding('refund_pending_past_bound', refund);
    }
  }
  const refundIds = new Set(refunds.map((refund) => refund.id));
  for (const refund of acknowledged.refunds) {
    if (refund.id && !refundIds.has(refund.id)) finding('acknowledged_refund_missing', refund);
  }

  // 5. Payouts: acknowledged ones exist; none stuck past its bound (books: payout_stuck).
  const payouts = await db.rows(`SELECT id, status FROM payouts.payouts`);
  figures.payouts = countBy(payouts, 'status');
  const payoutIds = new Set(payouts.map((payout) => payout.id));
  for (const payout of acknowledged.payouts) {
    if (!payoutIds.has(payout.id)) finding('acknowledged_payout_missing', payout);
  }

  // 6. Outbound: history without gaps; every event recorded; every delivery received at least once.
  const gaps = await db.rows(`
    SELECT subject, array_agg(sequence ORDER BY sequence) AS sequences FROM platform.event_history
     GROUP BY subject HAVING max(sequence) <> count(*) OR min(sequence) <> 1 OR count(DISTINCT sequence) <> count(*)`);
  for (const gap of gaps) finding('event_history_gap', gap);
  const unrecorded = await db.rows(`
    SELECT o.event_id, o.type FROM platform.outbox_events o
     WHERE NOT EXISTS (SELECT 1 FROM platform.event_history h WHERE h.event_id = o.event_id)`);
  for (const event of unrecorded)
    finding('event_not_in_history', { ...event, job: jobState(stack, 'events', event.event_id) });
  const deliveries = await db.rows(
    `SELECT h.event_id, h.type, d.status, d.attempts FROM platform.event_history h
       LEFT JOIN platform.webhook_deliveries d ON d.event_id = h.event_id
      WHERE h.occurred_at >= $1`,
    [new Date(endpointCreatedAt)],
  );
  figures.eventsRecorded = deliveries.length;
  figures.eventsReceivedByEndpoint = receiver.received.size;
  for (const delivery of deliveries) {
    if (receiver.received.has(delivery.event_id)) continue;
    if (delivery.status === 'pending') {
      figures.deliveriesStillRetrying = (figures.deliveriesStillRetrying ?? 0) + 1;
      continue;
    }
    finding('event_not_delivered', delivery);
  }

  // 7. Stripe events: every one the fake sent was stored and processed.
  const sent = await (await fetch(`${stack.fakeUrl}/__control/events`)).json();
  const storedEvents = await db.rows(
    `SELECT id, status, attempts, last_error FROM billing.stripe_webhook_events`,
  );
  const storedStatus = new Map(storedEvents.map((event) => [event.id, event.status]));
  const storedRow = new Map(storedEvents.map((event) => [event.id, event]));
  figures.stripeEventsSent = sent.events.length;
  figures.stripeDeliveries = countBy(sent.deliveries, 'status');
  for (const event of sent.events) {
    const status = storedStatus.get(event.id);
    if (status === undefined) finding('stripe_event_never_stored', { id: event.id, type: event.type });
    else if (status === 'received' || status === 'failed') {
      const row = storedRow.get(event.id);
      finding('stripe_event_not_processed', {
        id: event.id,
        type: event.type,
        status,
        attempts: row.attempts,
        lastError: row.last_error?.slice(0, 300),
        job: jobState(stack, 'billing', event.id),
      });
    }
  }

  // 8. No job gave up (failed jobs are kept for inspection; each one is work that never happened).
  for (const queue of ['events', 'billing', 'outbound', 'payouts', 'maintenance']) {
    const failed = await client.call('GET', `/v1/admin/queues/${queue}/jobs?state=failed&limit=100`, {
      token: tokens.finance,
    });
    for (const job of failed.body?.data ?? []) {
      finding('job_failed', {
        queue,
        id: job.id,
        name: job.name,
        attemptsMade: job.attemptsMade,
        reason: job.failedReason,
      });
    }
  }

  // Informational (not a finding): the repeating jobs (billing tick, payout sweep, purge) live only in
  // Redis and are created when a worker boots; after Redis lost its data they are gone until then.
  figures.jobSchedulesAfterRun = Object.fromEntries(
    ['billing', 'payouts', 'maintenance'].map((queue) => [
      queue,
      redisList(stack, `${stack.env.QUEUE_PREFIX}:${queue}:repeat`),
    ]),
  );

  // 9. The ledger, once it exists: every journal entry balanced per currency.
  const [journal] = await db.rows(`SELECT to_regclass('billing.journal_lines') IS NOT NULL AS present`);
  if (journal?.present) {
    const columns = (
      await db.rows(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'billing' AND table_name = 'journal_lines'`,
      )
    ).map((row) => row.column_name);
    const entry = columns.find((name) => ['entry_id', 'journal_entry_id'].includes(name));
    let sql = null;
    if (entry && columns.includes('debit') && columns.includes('credit')) {
      sql = `SELECT ${entry} AS entry, currency, sum(debit) - sum(credit) AS imbalance FROM billing.journal_lines GROUP BY 1, 2 HAVING sum(debit) <> sum(credit)`;
    } else if (entry && columns.includes('amount') && columns.includes('direction')) {
      sql = `SELECT ${entry} AS entry, currency, sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) AS imbalance
               FROM billing.journal_lines GROUP BY 1, 2 HAVING sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) <> 0`;
    } else if (entry && columns.includes('amount')) {
      sql = `SELECT ${entry} AS entry, currency, sum(amount) AS imbalance FROM billing.journal_lines GROUP BY 1, 2 HAVING sum(amount) <> 0`;
    }
    if (sql) {
      const unbalanced = await db.rows(sql);
      figures.journalLines = Number(
        (await db.rows(`SELECT count(*)::int AS n FROM billing.journal_lines`))[0].n,
      );
      for (const row of unbalanced) finding('journal_unbalanced', row);
    } else {
      figures.journal = `billing.journal_lines present, columns not understood: ${columns.join(', ')}`;
    }
  } else {
    figures.journal = 'billing.journal_lines does not exist yet: not checked';
  }

  // What the sandbox clock's days did: renewals billed, dunning, subscriptions by status.
  figures.invoicesByReason = countBy(
    await db.rows(`SELECT billing_reason FROM billing.invoices`),
    'billing_reason',
  );
  figures.dunningCases = countBy(await db.rows(`SELECT status FROM billing.dunning_cases`), 'status');
  figures.subscriptions = countBy(await db.rows(`SELECT status FROM billing.subscriptions`), 'status');

  return { findings, figures };
}

async function stripeGet(stack, path) {
  try {
    const response = await fetch(`${stack.fakeUrl}${path}`, {
      headers: { authorization: 'Bearer sk_test_chaos' },
    });
    return response.ok ? response.json() : null;
  } catch {
    return null;
  }
}

function countBy(rows, field) {
  const counts = {};
  for (const row of rows) counts[row[field]] = (counts[row[field]] ?? 0) + 1;
  return counts;
}
