// The sandbox Stripe in a process of its own, so API crashes do not reset it (the API's own
// sandbox mode hosts it in-process). The API processes find it on STRIPE_SANDBOX_PORT (taken, so
// they use it instead of starting theirs). Driven over HTTP: /__control/* and /sandbox/*.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './paths.mjs';

const require = createRequire(join(root, 'apps/api/package.json'));
const { createFakeStripeServer } = require('@astrix/stripe-client');

const fake = await createFakeStripeServer({
  port: Number(process.env.FAKE_STRIPE_PORT),
  webhookUrl: process.env.FAKE_STRIPE_WEBHOOK_URL,
  webhookSecret: process.env.FAKE_STRIPE_WEBHOOK_SECRET,
  // Stripe retries a failed delivery for days; a few minutes here outlive any fault of the run.
  webhookRetry: { maxAttempts: 40, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 10_000 },
});
process.stdout.write(`fake Stripe listening on ${fake.url}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
