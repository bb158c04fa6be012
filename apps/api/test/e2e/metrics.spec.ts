import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { createWorker } from '../../src/bootstrap/create-worker';
import { QUEUE_NAMES } from '../../src/platform/queues/job-registry';
import { MetricsServer } from '../../src/platform/metrics/metrics-server';
import {
  BillingTestApp,
  payWithCard,
  productBySlug,
  purchase,
  startBillingTestApp,
} from '../support/billing';
import { expectBooksClean } from '../support/books';
import {
  alertRuleExpressions,
  dashboardExpressions,
  exportedFamilies,
  isExported,
  metricNamesIn,
  PROMETHEUS_BUILTINS,
  sampleValue,
} from '../support/metrics';
import { createTestDatabase, uniqueName } from '../support/databases';
import { eventually, startTestApp } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';

const ADMIN = { sub: 'staff_admin', roles: ['admin'] };

/**
 * GET /metrics on METRICS_PORT after real activity (purchases on the fake Stripe, a declined card,
 * a webhook delivered, a 404), and the ops files: every metric an alert rule or a dashboard panel
 * names is one the process exports.
 */
describe('metrics', () => {
  let t: BillingTestApp;
  let metricsUrl: string;
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    t = await startBillingTestApp({ env: { METRICS_PORT: '0', HOST: '127.0.0.1' } });
    const port = t.app.get(MetricsServer).port();
    if (port === null) throw new Error('metrics server did not start');
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const scrape = async (): Promise<string> => {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };

  it('exports the activity: HTTP by route pattern, payments, webhooks, queues, outbox, pool', async () => {
    const endpoint = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: receiverUrl, eventTypes: ['billing.payment.completed'] },
    });
    expect(endpoint.statusCode).toBe(201);
    const { checkoutSessionId } = await purchase(t, { sub: 'user_metrics' }, 'evaluation-25k');
    const session = await t.inject({
      method: 'GET',
      url: `/v1/billing/checkout-sessions/${checkoutSessionId}`,
      headers: t.as({ sub: 'user_metrics' }),
    });
    expect(session.statusCode).toBe(200);
    const declined = await t.inject({
      method: 'POST',
      url: '/v1/billing/checkout-sessions',
      headers: t.as({ sub: 'user_metrics_declined' }),
      payload: { productId: (await productBySlug(t, 'evaluation-25k')).id, currency: 'USD' },
    });
    expect(declined.statusCode).toBe(201);
    await payWithCard(t, declined.json<{ id: string }>().id, '4000000000000002');
    await t.fake.flushWebhooks();
    expect((await t.inject({ method: 'GET', url: '/no/such/route/42' })).statusCode).toBe(404);

    // Payments count once their events are relayed; the webhook once its attempt is recorded.
    const body = await eventually(async () => {
      const text = await scrape();
      return sampleValue(text, 'astrix_payments_total', { outcome: 'succeeded' }) >= 1 &&
        sampleValue(text, 'astrix_payments_total', { outcome: 'failed' }) >= 1 &&
        sampleValue(text, 'astrix_webhook_delivery_attempts_total', { outcome: 'succeeded' }) >= 1
        ? text
        : null;
    }, 20_000);

    // The route pattern, never the raw URL with its id; unmatched URLs share one label.
    expect(
      sampleValue(body, 'astrix_http_request_duration_seconds_count', {
        route: '/v1/billing/checkout-sessions/:id',
        method: 'GET',
        status_code: '200',
      }),
    ).toBe(1);
    expect(body).not.toContain(checkoutSessionId);
    expect(
      sampleValue(body, 'astrix_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBe(1);
    expect(body).not.toContain('/no/such/route');

    for (const queue of QUEUE_NAMES) {
      expect(sampleValue(body, 'astrix_queue_jobs', { queue, state: 'waiting' })).toBeGreaterThanOrEqual(0);
      expect(
        sampleValue(body, 'astrix_queue_oldest_waiting_job_age_seconds', { queue }),
      ).toBeGreaterThanOrEqual(0);
    }
    expect(sampleValue(body, 'astrix_outbox_backlog_events')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(body, 'astrix_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(
      sampleValue(body, 'astrix_outbox_events_relayed_total', { type: 'billing.payment.completed' }),
    ).toBe(1);
    expect(sampleValue(body, 'astrix_webhook_delivery_backlog')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(body, 'astrix_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(sampleValue(body, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    await expectBooksClean(t.app);
  });

  it('exports every metric the alert rules and the Grafana dashboard name', async () => {
    const families = exportedFamilies(await scrape());
    const named: Array<{ where: string; name: string }> = [];
    for (const [alert, expr] of alertRuleExpressions())
      for (const name of metricNamesIn(expr)) named.push({ where: `alert ${alert}`, name });
    for (const [title, exprs] of dashboardExpressions())
      for (const expr of exprs)
        for (const name of metricNamesIn(expr)) named.push({ where: `panel ${title}`, name });

    expect(named.length).toBeGreaterThan(40);
    const missing = named.filter(({ name }) => !PROMETHEUS_BUILTINS.has(name) && !isExported(name, families));
    expect(missing).toEqual([]);
  });

  it('has a depth and an oldest-job-age alert for each queue, and one per seed SLO', () => {
    const rules = [...alertRuleExpressions().values()];
    for (const queue of QUEUE_NAMES) {
      const ofQueue = rules.filter((expr) => expr.includes(`queue="${queue}"`));
      expect(ofQueue.some((expr) => expr.includes('astrix_queue_jobs'))).toBe(true);
      expect(ofQueue.some((expr) => expr.includes('astrix_queue_oldest_waiting_job_age_seconds'))).toBe(true);
    }
    for (const metric of [
      'astrix_invoice_generation_duration_seconds_bucket',
      'astrix_reconciliation_last_duration_seconds',
      'astrix_reconciliation_running_age_seconds',
      'astrix_http_request_duration_seconds_count',
      'astrix_payments_total',
    ])
      expect(rules.some((expr) => metricNamesIn(expr).includes(metric))).toBe(true);
  });

  it("exports a worker process's metrics on its own port too", async () => {
    const database = await createTestDatabase();
    const prefix = uniqueName('w').replace(/[^a-z0-9_]/g, '');
    const previous = { ...process.env };
    Object.assign(process.env, {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      QUEUE_PREFIX: prefix,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      MIGRATIONS_RUN: 'false',
      STRIPE_SANDBOX_PORT: '0',
      BILLING_RUN_CRON: '',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
    });
    let worker: Awaited<ReturnType<typeof createWorker>>;
    try {
      worker = await createWorker();
    } finally {
      process.env = previous;
    }
    try {
      const port = worker.get(MetricsServer).port();
      expect(port).not.toBeNull();
      expect(port).not.toBe(t.app.get(MetricsServer).port());
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      // Every queue has its series. Not exactly 0: a starting worker may have a scheduled job (the
      // maintenance crons) waiting for a moment, and a loaded CI machine saw that once.
      for (const queue of QUEUE_NAMES) {
        const waiting = sampleValue(body, 'astrix_queue_jobs', { queue, state: 'waiting' });
        expect(Number.isInteger(waiting) && waiting >= 0).toBe(true);
      }
      expect(sampleValue(body, 'astrix_outbox_backlog_events')).toBe(0);
      expect(sampleValue(body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // No HTTP server in a worker: the request histogram has no series.
      expect(sampleValue(body, 'astrix_http_request_duration_seconds_count')).toBeNaN();
    } finally {
      await worker.close();
      await database.drop();
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('answers 404 off /metrics, and listens on no port when METRICS_PORT is unset', async () => {
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    const plain = await startTestApp();
    try {
      expect(plain.app.get(MetricsServer).port()).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
