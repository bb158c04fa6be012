import type { InvoiceView, PriceBreakdown } from '@astrix/contracts';
import { Invoice } from '../../src/modules/billing/invoicing/invoice.entity';
import { InvoicesService } from '../../src/modules/billing/invoicing/invoices.service';
import { CouponRedemptionService } from '../../src/modules/billing/coupons/coupon-redemption.service';
import { LedgerPostings } from '../../src/modules/billing/ledger/ledger-postings.service';
import { Charge } from '../../src/modules/billing/payments/charge.entity';
import { newId } from '../../src/platform/ids';
import { startTestApp, TestApp } from '../support/test-app';
import { expectBooksClean } from '../support/books';
import { pdfText } from '../support/pdf';

interface ReceiptOptions {
  userId: string;
  currency?: string;
  lines?: Array<{ description: string; amount: number; discount?: number }>;
  tax?: number;
  email?: string | null;
}

describe('billing invoices', () => {
  let t: TestApp;
  let invoices: InvoicesService;

  let welcomeCouponId: string | null = null;
  /** The coupon that discounted the seeded purchases (created once, as staff would). */
  async function welcomeCoupon(): Promise<string> {
    if (welcomeCouponId) return welcomeCouponId;
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: t.as({ sub: 'staff_admin', roles: ['admin'] }),
      payload: { code: 'WELCOME20', kind: 'percent_off', percentOff: '20' },
    });
    expect(created.statusCode).toBe(201);
    welcomeCouponId = (created.json() as { id: string }).id;
    return welcomeCouponId;
  }

  /**
   * A completed payment as the payments service records it: the charge, its coupon redemption
   * when discounted, then its receipt.
   */
  async function issueReceipt(options: ReceiptOptions): Promise<Invoice> {
    const currency = options.currency ?? 'USD';
    const lines = options.lines ?? [{ description: '50k Evaluation', amount: 29900 }];
    const tax = options.tax ?? 0;
    const money = (amount: number) => ({ amount, currency });
    const subtotal = lines.reduce((total, line) => total + line.amount, 0);
    const discount = lines.reduce((total, line) => total + (line.discount ?? 0), 0);
    const breakdown: PriceBreakdown = {
      subtotal: money(subtotal),
      discount: money(discount),
      tax: money(tax),
      total: money(subtotal - discount + tax),
      couponCode: discount > 0 ? 'WELCOME20' : null,
      lines: lines.map((line) => ({
        description: line.description,
        amount: money(line.amount),
        discount: money(line.discount ?? 0),
      })),
    };
    const couponId = discount > 0 ? await welcomeCoupon() : null;
    return t.dataSource.transaction(async (manager) => {
      const charge = manager.create(Charge, {
        id: newId('chg'),
        customerId: newId('cust'),
        userId: options.userId,
        checkoutSessionId: newId('chk'),
        productId: 'prd_eval_50k',
        amount: breakdown.total.amount,
        currency,
        amountRefunded: 0,
        status: 'succeeded',
        discountAmount: discount,
        invoiceId: null,
        paidAt: new Date('2026-05-04T10:15:00Z'),
      });
      await manager.insert(Charge, charge);
      // As the charge recorder posts it, in the same transaction.
      await t.app.get(LedgerPostings).chargeSucceeded(manager, charge);
      if (couponId !== null) {
        await t.app.get(CouponRedemptionService).redeem(manager, {
          couponId,
          customerId: charge.customerId,
          chargeId: charge.id,
          discountAmount: discount,
          currency,
          now: charge.paidAt,
        });
      }
      return invoices.issueReceipt(manager, {
        charge,
        customerEmail: options.email === undefined ? `${options.userId}@example.com` : options.email,
        productName: '50k Evaluation',
        breakdown,
        paidAt: charge.paidAt,
      });
    });
  }

  const alice = { sub: 'user_alice', roles: ['trader'], email: 'alice@example.com' };
  const bob = { sub: 'user_bob', roles: ['trader'], email: 'bob@example.com' };
  const get = (url: string, as: { sub: string; roles: string[] } = alice) =>
    t.inject({ method: 'GET', url, headers: t.as(as) });

  let aliceInvoices: Invoice[];
  let bobInvoice: Invoice;

  beforeAll(async () => {
    t = await startTestApp();
    invoices = t.app.get(InvoicesService);
    aliceInvoices = [];
    aliceInvoices.push(await issueReceipt({ userId: alice.sub }));
    aliceInvoices.push(
      await issueReceipt({
        userId: alice.sub,
        lines: [
          { description: '100k Evaluation', amount: 49900, discount: 9980 },
          { description: 'Platform add-on', amount: 2500 },
        ],
        tax: 4242,
      }),
    );
    aliceInvoices.push(
      await issueReceipt({
        userId: alice.sub,
        currency: 'JPY',
        lines: [{ description: 'Reset', amount: 45000 }],
      }),
    );
    bobInvoice = await issueReceipt({
      userId: bob.sub,
      currency: 'KWD',
      lines: [{ description: 'Reset', amount: 12345 }],
    });
  });
  afterAll(() => t.close());

  const expectTotalsToBeTheSumOfTheLines = (view: InvoiceView): void => {
    const sumOf = (pick: (line: InvoiceView['lines'][number]) => number) =>
      view.lines.reduce((total, line) => total + pick(line), 0);
    expect(view.lines.length).toBeGreaterThan(0);
    expect(view.subtotal).toBe(sumOf((line) => line.amount.amount));
    expect(view.discount).toBe(sumOf((line) => line.discount.amount));
    expect(view.tax).toBe(sumOf((line) => line.tax.amount));
    expect(view.total).toBe(sumOf((line) => line.amount.amount - line.discount.amount + line.tax.amount));
    for (const line of view.lines) {
      expect(line.amount.amount).toBe(line.quantity * line.unitAmount.amount);
      expect(line.amount.currency).toBe(view.currency);
    }
  };

  describe('GET /v1/billing/invoices', () => {
    it("lists the caller's own invoices, newest first, a page at a time", async () => {
      const first = await get('/v1/billing/invoices?limit=2');
      expect(first.statusCode).toBe(200);
      const firstPage = first.json();
      const newestFirst = [...aliceInvoices].reverse().map((invoice) => invoice.id);
      expect(firstPage.data.map((view: InvoiceView) => view.id)).toEqual(newestFirst.slice(0, 2));
      expect(firstPage.nextCursor).toBe(newestFirst[1]);

      const second = (await get(`/v1/billing/invoices?limit=2&cursor=${firstPage.nextCursor}`)).json();
      expect(second.data.map((view: InvoiceView) => view.id)).toEqual(newestFirst.slice(2));
      expect(second.nextCursor).toBeNull();

      for (const view of [...firstPage.data, ...second.data] as InvoiceView[]) {
        expect(view.userId).toBe(alice.sub);
        expect(view.status).toBe('paid');
        expect(view.amountPaid).toBe(view.total);
        expectTotalsToBeTheSumOfTheLines(view);
      }
    });

    it("shows nobody else's invoices: not another trader's, not a staff member's own list", async () => {
      const asBob = (await get('/v1/billing/invoices', bob)).json();
      expect(asBob.data.map((view: InvoiceView) => view.id)).toEqual([bobInvoice.id]);
      const asStranger = await get('/v1/billing/invoices', { sub: 'user_nobody', roles: ['trader'] });
      expect(asStranger.json()).toEqual({ data: [], nextCursor: null });
      const asSupport = await get('/v1/billing/invoices', { sub: 'staff_1', roles: ['support'] });
      expect(asSupport.json().data).toEqual([]);
    });

    it("cannot be pointed at another user's invoices", async () => {
      const response = await get(`/v1/billing/invoices?userId=${alice.sub}`, bob);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
    });

    it('refuses a bad page size or cursor with 400 and no credentials with 401', async () => {
      expect((await get('/v1/billing/invoices?limit=0')).statusCode).toBe(400);
      expect((await get('/v1/billing/invoices?cursor=nope')).statusCode).toBe(400);
      const anonymous = await t.inject({ method: 'GET', url: '/v1/billing/invoices' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('GET /v1/billing/invoices/:id', () => {
    it('returns one of your invoices, its totals the sum of its lines', async () => {
      const taxed = aliceInvoices[1];
      const response = await get(`/v1/billing/invoices/${taxed.id}`);
      expect(response.statusCode).toBe(200);
      const view: InvoiceView = response.json();
      expect(view).toMatchObject({
        id: taxed.id,
        number: taxed.number,
        status: 'paid',
        userId: alice.sub,
        chargeId: taxed.chargeId,
        currency: 'USD',
        subtotal: 52400,
        discount: 9980,
        tax: 4242,
        total: 46662,
        amountPaid: 46662,
        customer: { userId: alice.sub, email: 'user_alice@example.com' },
        seller: { name: 'Astrix Trading Ltd.' },
        paidAt: '2026-05-04T10:15:00.000Z',
      });
      expect(view.number).toMatch(/^AST-\d{4}-\d{6}$/);
      expect(view.lines.map((line) => line.description)).toEqual(['100k Evaluation', 'Platform add-on']);
      expectTotalsToBeTheSumOfTheLines(view);
    });

    it("answers 404 for another user's invoice exactly as for one that does not exist", async () => {
      const foreign = await get(`/v1/billing/invoices/${bobInvoice.id}`);
      const unknownId = newId('inv');
      const unknown = await get(`/v1/billing/invoices/${unknownId}`);
      expect(foreign.statusCode).toBe(404);
      expect(unknown.statusCode).toBe(404);
      expect(foreign.json().error).toMatchObject({
        code: 'NOT_FOUND',
        message: `invoice ${bobInvoice.id} was not found`,
      });
      expect(unknown.json().error.message).toBe(`invoice ${unknownId} was not found`);
    });

    it('answers 404 for a malformed id', async () => {
      for (const id of ['nope', 'chg_01jzzzzzzzzzzzzzzzzzzzzzzz', `${aliceInvoices[0].id}x`]) {
        const response = await get(`/v1/billing/invoices/${id}`);
        expect(response.statusCode).toBe(404);
        expect(response.json().error.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('GET /v1/billing/invoices/:id/pdf', () => {
    it('downloads a one-page PDF invoice with the number, parties, lines and totals', async () => {
      const taxed = aliceInvoices[1];
      const response = await get(`/v1/billing/invoices/${taxed.id}/pdf`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/pdf');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="${taxed.number}.pdf"`);
      const pdf = response.rawPayload;
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(1024);
      expect(Number(response.headers['content-length'])).toBe(pdf.length);
      const raw = pdf.toString('latin1');
      expect(raw.trimEnd().endsWith('%%EOF')).toBe(true);
      expect(raw.match(/\/Type \/Page\b/g)).toHaveLength(1);
      expect(raw).toContain('/MediaBox [0 0 595.28 841.89]'); // A4
      // Metadata (kept outside the compressed streams): the title, and the issue time as creation date.
      expect(raw).toContain(`(Invoice ${taxed.number})`);
      const issuedAt = taxed.issuedAt.toISOString().replace(/[-:T]/g, '').slice(0, 14);
      expect(raw).toContain(`(D:${issuedAt}Z)`);

      const text = pdfText(pdf);
      for (const expected of [
        'INVOICE',
        'PAID',
        taxed.number,
        'Astrix Trading Ltd.',
        'Tax ID: GB 394 1275 60',
        'user_alice@example.com',
        'Paid date',
        '2026-05-04',
        '100k Evaluation',
        'Platform add-on',
        'USD 499.00', // unit price and amount of the first line
        'USD 99.80', // its discount
        'USD 524.00', // subtotal
        '-USD 99.80', // discount in the totals
        'USD 42.42', // tax
        'USD 466.62', // total
        '-USD 466.62', // amount paid
        'USD 0.00', // amount due
      ]) {
        expect(text).toContain(expected);
      }
      // The buyer is who the records say, never our internal user id.
      expect(text.replaceAll(`${alice.sub}@example.com`, '')).not.toContain(alice.sub);
    });

    it('prints each currency with its own decimals', async () => {
      const yen = pdfText((await get(`/v1/billing/invoices/${aliceInvoices[2].id}/pdf`)).rawPayload);
      expect(yen).toContain('JPY 45,000');
      expect(yen).not.toContain('JPY 45,000.');
      const dinar = pdfText((await get(`/v1/billing/invoices/${bobInvoice.id}/pdf`, bob)).rawPayload);
      expect(dinar).toContain('KWD 12.345');
    });

    it('renders the same invoice to the same bytes', async () => {
      const url = `/v1/billing/invoices/${aliceInvoices[0].id}/pdf`;
      const [first, second] = [(await get(url)).rawPayload, (await get(url)).rawPayload];
      expect(first.equals(second)).toBe(true);
    });

    it("answers another user's PDF with a 404 JSON envelope", async () => {
      const response = await get(`/v1/billing/invoices/${bobInvoice.id}/pdf`);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['content-disposition']).toBeUndefined();
      expect(response.json().error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
      expect((await get('/v1/billing/invoices/nope/pdf')).json().error.code).toBe('NOT_FOUND');
    });
  });

  describe('staff PDFs: GET /v1/admin/invoices/:id/pdf and its credit notes', () => {
    const support = { sub: 'staff_support', roles: ['support'] };
    const finance = { sub: 'staff_finance', roles: ['finance'] };

    it("gives support and finance any customer's invoice PDF, byte for byte the customer's own", async () => {
      const invoice = aliceInvoices[1];
      const customers = (await get(`/v1/billing/invoices/${invoice.id}/pdf`)).rawPayload;
      for (const staff of [support, finance]) {
        const response = await get(`/v1/admin/invoices/${invoice.id}/pdf`, staff);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/pdf');
        expect(response.headers['content-disposition']).toBe(`attachment; filename="${invoice.number}.pdf"`);
        expect(response.rawPayload.equals(customers)).toBe(true);
      }
      // Another customer's too, which that customer's own route hides from everybody else.
      const dinar = await get(`/v1/admin/invoices/${bobInvoice.id}/pdf`, support);
      expect(pdfText(dinar.rawPayload)).toContain('KWD 12.345');
    });

    it("gives staff a credit note's PDF, the same document the customer downloads", async () => {
      const invoice = aliceInvoices[0];
      const issued = await t.inject({
        method: 'POST',
        url: `/v1/admin/invoices/${invoice.id}/credit-notes`,
        headers: { ...t.as(finance), 'idempotency-key': `staff-pdf-${invoice.id}` },
        payload: { amount: 5000, reason: 'goodwill settled by bank transfer' },
      });
      expect(issued.statusCode).toBe(201);
      const note = issued.json() as { id: string; number: string };
      const url = `/v1/admin/invoices/${invoice.id}/credit-notes/${note.id}/pdf`;
      const response = await get(url, support);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/pdf');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="${note.number}.pdf"`);
      const customers = await get(`/v1/billing/invoices/${invoice.id}/credit-notes/${note.id}/pdf`);
      expect(customers.statusCode).toBe(200);
      expect(response.rawPayload.equals(customers.rawPayload)).toBe(true);
      expect(pdfText(response.rawPayload)).toContain(note.number);
      // The invoice PDF now shows the note in its settlement, for staff as for the customer.
      expect(pdfText((await get(`/v1/admin/invoices/${invoice.id}/pdf`, finance)).rawPayload)).toContain(
        note.number,
      );
      // A credit note of another invoice is not found under this one.
      const elsewhere = await get(
        `/v1/admin/invoices/${aliceInvoices[1].id}/credit-notes/${note.id}/pdf`,
        support,
      );
      expect(elsewhere.statusCode).toBe(404);
      expect(elsewhere.json().error.code).toBe('NOT_FOUND');
    });

    it('refuses traders, and answers bad or unknown ids with JSON envelopes', async () => {
      const trader = await get(`/v1/admin/invoices/${aliceInvoices[0].id}/pdf`, alice);
      expect(trader.statusCode).toBe(403);
      expect(trader.headers['content-disposition']).toBeUndefined();
      const unknown = await get('/v1/admin/invoices/inv_01jzzzzzzzzzzzzzzzzzzzzzzz/pdf', support);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toMatch(/^application\/json/);
      const malformed = await get(`/v1/admin/invoices/${aliceInvoices[0].id}/credit-notes/nope/pdf`, support);
      expect(malformed.statusCode).toBeGreaterThanOrEqual(400);
      expect(malformed.statusCode).toBeLessThan(500);
      expect(malformed.json().error.message).toContain('credit note');
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
