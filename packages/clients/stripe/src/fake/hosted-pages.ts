import type Stripe from 'stripe';
import { StripeApiError } from './api-error';
import { type CheckoutFlow, successUrlFor } from './checkout-flow';
import type { FormReader } from './form';
import { Router } from './router';
import type { FakeStripeStore } from './store';
import { TEST_CARDS } from './test-cards';

export type PageReply =
  { kind: 'html'; status: number; html: string } | { kind: 'redirect'; location: string };

export interface PageRequest {
  params: Record<string, string>;
  form: FormReader;
}

export type PageHandler = (request: PageRequest) => PageReply;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string, status = 200): PageReply {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
.notice{background:#fff4e5;padding:.5rem 1rem;border-radius:6px}.error{color:#b00020}
input,button{font-size:1rem;padding:.4rem}table{border-collapse:collapse}td{padding:.2rem .6rem}</style>
</head><body><p class="notice">Astrix Stripe sandbox: no real money moves.</p>${body}</body></html>`;
  return { kind: 'html', status, html };
}

function formatAmount(amount: number | null, currency: string | null): string {
  return amount === null || currency === null ? '' : `${amount} ${currency.toUpperCase()} (minor units)`;
}

function payPage(session: Stripe.Checkout.Session, error: string | null): PageReply {
  if (session.status !== 'open') {
    return page(
      'Checkout',
      `<h1>This checkout session is ${escapeHtml(session.status ?? 'closed')}.</h1>`,
      410,
    );
  }
  const items = (session.line_items?.data ?? [])
    .map((item) => `<tr><td>${escapeHtml(item.description ?? '')}</td><td>× ${item.quantity ?? 1}</td></tr>`)
    .join('');
  const cards = TEST_CARDS.map(
    (card) =>
      `<tr><td><code>${escapeHtml(card.number)}</code></td><td>${escapeHtml(card.description)}</td></tr>`,
  ).join('');
  const cancel =
    session.cancel_url === null
      ? ''
      : `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and go back</a></p>`;
  return page(
    'Checkout',
    `<h1>${session.mode === 'setup' ? 'Save a card' : `Pay ${escapeHtml(formatAmount(session.amount_total, session.currency))}`}</h1>
<table>${items}</table>
${error === null ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form method="post" action="/pay/${escapeHtml(session.id)}">
<p><label>Email <input name="email" type="email" value="${escapeHtml(session.customer_email ?? '')}"></label></p>
<p><label>Card number <input name="card" required autocomplete="off" value="4242424242424242"></label></p>
<p><button type="submit">${session.mode === 'setup' ? 'Save card' : 'Pay'}</button></p>
</form>${cancel}
<h2>Test cards</h2><table>${cards}</table>`,
  );
}

const SAVEABLE_SETUP_STATUSES: ReadonlyArray<Stripe.SetupIntent.Status> = [
  'requires_payment_method',
  'requires_confirmation',
];

/** The sandbox page where a person enters a test card for a setup intent (no Stripe.js needed). */
export function sandboxSetupPageUrl(fakeStripeUrl: string, setupIntentId: string): string {
  return `${fakeStripeUrl}/setup/${encodeURIComponent(setupIntentId)}`;
}

/** Card entry for a standalone setup intent: what Stripe.js does with the client secret in live mode. */
function setupPage(intent: Stripe.SetupIntent, error: string | null): PageReply {
  if (intent.status === 'succeeded') {
    return page('Card saved', '<h1>Your card is saved.</h1><p>You can close this page.</p>');
  }
  if (!SAVEABLE_SETUP_STATUSES.includes(intent.status)) {
    return page('Save a card', `<h1>This card setup is ${escapeHtml(intent.status)}.</h1>`, 410);
  }
  const cards = TEST_CARDS.map(
    (card) =>
      `<tr><td><code>${escapeHtml(card.number)}</code></td><td>${escapeHtml(card.description)}</td></tr>`,
  ).join('');
  return page(
    'Save a card',
    `<h1>Save a card</h1>
${error === null ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form method="post" action="/setup/${escapeHtml(intent.id)}">
<p><label>Card number <input name="card" required autocomplete="off" value="4242424242424242"></label></p>
<p><button type="submit">Save card</button></p>
</form>
<h2>Test cards</h2><table>${cards}</table>`,
  );
}

function challengePage(intentId: string): PageReply {
  const id = escapeHtml(intentId);
  return page(
    '3-D Secure',
    `<h1>3-D Secure authentication</h1><p>Your bank asks you to confirm this payment.</p>
<form method="post" action="/3ds/${id}"><input type="hidden" name="succeeded" value="true"><button>Complete authentication</button></form>
<form method="post" action="/3ds/${id}"><input type="hidden" name="succeeded" value="false"><button>Fail authentication</button></form>`,
  );
}

/** The HTML the sandbox shows to humans: the hosted payment page, the 3-D Secure challenge and the portal. */
export function createHostedPages(store: FakeStripeStore, checkout: CheckoutFlow): Router<PageHandler> {
  const router = new Router<PageHandler>();

  router.on('GET', '/pay/:id', ({ params }) => payPage(checkout.retrieve(params.id ?? ''), null));

  router.on('POST', '/pay/:id', ({ params, form }) => {
    const sessionId = params.id ?? '';
    try {
      const result = checkout.pay(sessionId, {
        card: form.requiredString('card'),
        email: form.optionalNonEmptyString('email'),
        name: form.optionalNonEmptyString('name'),
      });
      switch (result.outcome) {
        case 'completed': {
          const successUrl = successUrlFor(result.checkoutSession);
          return successUrl === null
            ? page('Paid', '<h1>Thank you: payment complete.</h1>')
            : { kind: 'redirect', location: successUrl };
        }
        case 'requires_action':
          return { kind: 'redirect', location: result.authenticationUrl ?? `/pay/${sessionId}` };
        case 'declined':
          return payPage(result.checkoutSession, result.error?.message ?? 'Your card was declined.');
        case 'async_payment_failed':
          return page('Payment failed', '<h1>Your bank declined the payment after checkout.</h1>', 402);
      }
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return payPage(checkout.retrieve(sessionId), error.body.message ?? 'The payment could not be made.');
    }
  });

  router.on('GET', '/setup/:id', ({ params }) =>
    setupPage(store.setupIntents.require(params.id ?? ''), null),
  );

  router.on('POST', '/setup/:id', ({ params, form }) => {
    const intentId = params.id ?? '';
    const intent = store.setupIntents.require(intentId);
    if (!SAVEABLE_SETUP_STATUSES.includes(intent.status)) return setupPage(intent, null);
    try {
      // After 3-D Secure the browser comes back here, which then shows the outcome.
      const result = checkout.saveCard(intentId, form.requiredString('card'), `/setup/${intentId}`);
      if (result.authenticationUrl !== null) return { kind: 'redirect', location: result.authenticationUrl };
      return setupPage(result.intent, result.error?.message ?? null);
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return setupPage(
        store.setupIntents.require(intentId),
        error.body.message ?? 'The card could not be saved.',
      );
    }
  });

  router.on('GET', '/3ds/:id', ({ params }) => challengePage(params.id ?? ''));

  router.on('POST', '/3ds/:id', ({ params, form }) => {
    const result = checkout.authenticate(params.id ?? '', form.optionalBoolean('succeeded') ?? true);
    if (result.redirectUrl !== null) return { kind: 'redirect', location: result.redirectUrl };
    return page(
      '3-D Secure',
      result.succeeded ? '<h1>Authentication complete.</h1>' : '<h1>Authentication failed.</h1>',
    );
  });

  router.on('GET', '/portal/:id', ({ params }) => {
    const session = store.billingPortalSessions.require(params.id ?? '');
    const customer = store.customers.require(session.customer);
    const cards = store.paymentMethods
      .all()
      .filter((paymentMethod) => paymentMethod.customer === customer.id)
      .map((paymentMethod) => {
        const isDefault = customer.invoice_settings.default_payment_method === paymentMethod.id;
        const card = paymentMethod.card;
        return `<li>${escapeHtml(card?.brand ?? 'card')} •••• ${escapeHtml(card?.last4 ?? '')}${isDefault ? ' (default)' : ''}</li>`;
      })
      .join('');
    const back =
      session.return_url === null ? '' : `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>`;
    return page(
      'Billing portal',
      `<h1>Billing for ${escapeHtml(customer.email ?? customer.id)}</h1><ul>${cards || '<li>No saved cards</li>'}</ul>${back}`,
    );
  });

  return router;
}
