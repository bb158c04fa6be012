import { createTestDatabase } from '../support/databases';
import { startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';

// Found by the chaos harness (tools/chaos): Redis restarted without its data after intake had stored
// a Stripe event and enqueued its job. Stripe had its 200 and never sent the event again; the job
// was gone, so the event stayed `received` and what it reported (a payment, a dispute) was never
// recorded. Stored events not processed a minute after they arrived are enqueued again.
describe('a stored Stripe event whose job Redis lost', () => {
  it.each([
    ['5 minutes', 'evt_chaos_lost_job'],
    // Found when the chaos harness moved the sandbox clock days ahead: events stored more than a
    // day before were left out of the redelivery window and stayed `received` for good.
    ['2 days', 'evt_chaos_lost_job_days_ago'],
  ])('is processed all the same, %s after it arrived', async (ago, eventId) => {
    const database = await createTestDatabase();
    try {
      const intake = await startBillingTestApp({ workers: false, database });
      try {
        const body = JSON.stringify({
          id: eventId,
          object: 'event',
          api_version: '2025-01-27.acacia',
          created: Math.floor(Date.now() / 1000),
          type: 'customer.created',
          livemode: false,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
          data: { object: { id: `cus_${eventId}`, object: 'customer' } },
        });
        expect((await intake.deliver(body)).status).toBe(200);
        // Stored, its job enqueued in a Redis that then lost it (this app's queue keys go with it).
        await intake.dataSource.query(
          `UPDATE billing.stripe_webhook_events SET received_at = now() - $2::interval WHERE id = $1`,
          [eventId, ago],
        );
      } finally {
        await intake.close();
      }

      const worker = await startBillingTestApp({ workers: true, database });
      try {
        const status = await eventually(async () => {
          const [row] = (await worker.dataSource.query(
            'SELECT status FROM billing.stripe_webhook_events WHERE id = $1',
            [eventId],
          )) as Array<{ status: string }>;
          return row && row.status !== 'received' ? row.status : undefined;
        }, 20_000);
        expect(['processed', 'ignored']).toContain(status);
      } finally {
        await worker.close();
      }
    } finally {
      await database.drop();
    }
  });
});
