import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { DEMO_PRODUCTS } from '../../src/modules/billing/catalog/demo-catalog';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN = { sub: 'admin_catalog', roles: ['admin'] };
const TRADER = { sub: 'user_catalog', roles: ['trader'] };

const evaluationAttributes = {
  accountSize: 50000,
  phases: 2,
  profitTargetPercent: ['8', '5'],
  maxDailyLossPercent: '5',
  maxTotalLossPercent: '10',
  minTradingDays: 4,
  platform: 'astrix-trader',
};

interface PriceBody {
  currency: string;
  unitAmount: number;
  recurring?: { interval: string; intervalCount?: number };
}

describe('billing catalog', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const createProduct = (payload: Record<string, unknown>, headers = t.as(ADMIN)) =>
    t.inject({ method: 'POST', url: '/v1/admin/products', headers, payload });
  const evaluation = (name: string, prices: PriceBody[], extra: Record<string, unknown> = {}) =>
    createProduct({ kind: 'evaluation', name, attributes: evaluationAttributes, prices, ...extra });
  const archive = (id: string) =>
    t.inject({ method: 'POST', url: `/v1/admin/products/${id}/archive`, headers: t.as(ADMIN) });
  const listForTrader = (query: string) =>
    t.inject({ method: 'GET', url: `/v1/billing/products?${query}`, headers: t.as(TRADER) });
  const validateCoupon = (productId: string, currency: string) =>
    t.inject({
      method: 'POST',
      url: '/v1/billing/coupons/validate',
      headers: t.as(TRADER),
      payload: { code: 'ANYTHING', productId, currency },
    });
  const count = async (sql: string): Promise<number> => (await t.dataSource.query(sql))[0].n as number;

  describe('staff administration', () => {
    it('creates a product with its prices, derives the slug and audits it', async () => {
      const created = await evaluation('Evaluation 50k Gold', [
        { currency: 'USD', unitAmount: 29900 },
        { currency: 'eur', unitAmount: 27900 },
      ]);
      expect(created.statusCode).toBe(201);
      const product = created.json();
      expect(product).toMatchObject({
        id: expect.stringMatching(/^prd_[0-9a-z]{26}$/),
        kind: 'evaluation',
        name: 'Evaluation 50k Gold',
        slug: 'evaluation-50k-gold',
        description: null,
        status: 'active',
        attributes: evaluationAttributes,
      });
      expect(product.prices).toEqual([
        { id: expect.stringMatching(/^prc_/), currency: 'EUR', unitAmount: 27900, recurring: null },
        { id: expect.stringMatching(/^prc_/), currency: 'USD', unitAmount: 29900, recurring: null },
      ]);

      const fetched = await t.inject({
        method: 'GET',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
      });
      expect(fetched.statusCode).toBe(200);
      expect(fetched.json()).toEqual(product);

      const audit = await t.dataSource.query(
        `SELECT actor_id, action, after FROM platform.audit_log WHERE resource_type = 'product' AND resource_id = $1`,
        [product.id],
      );
      expect(audit).toEqual([
        {
          actor_id: 'admin_catalog',
          action: 'product.created',
          after: expect.objectContaining({ slug: product.slug }),
        },
      ]);
    });

    it('takes an explicit slug and refuses a taken one with 409, creating nothing', async () => {
      const first = await evaluation('Evaluation 10k', [{ currency: 'USD', unitAmount: 9900 }], {
        slug: 'eval-10k',
      });
      expect(first.statusCode).toBe(201);
      expect(first.json().slug).toBe('eval-10k');
      const before = await count('SELECT count(*)::int AS n FROM billing.prices');

      const sameSlug = await evaluation('Another name', [{ currency: 'USD', unitAmount: 100 }], {
        slug: 'eval-10k',
      });
      expect(sameSlug.statusCode).toBe(409);
      expect(sameSlug.json().error).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/eval-10k/),
      });
      // A slug derived from the name clashes the same way.
      const derivedClash = await evaluation('Eval 10k', [{ currency: 'USD', unitAmount: 100 }]);
      expect(derivedClash.statusCode).toBe(409);
      expect(derivedClash.json().error.message).toMatch(/slug eval-10k already exists/);
      expect(await count('SELECT count(*)::int AS n FROM billing.prices')).toBe(before);
    });

    it('updates a product: a changed price replaces the old row, an unchanged one stays, a dropped one goes', async () => {
      const product = (
        await evaluation('Evaluation 75k', [
          { currency: 'USD', unitAmount: 39900 },
          { currency: 'EUR', unitAmount: 36900 },
          { currency: 'GBP', unitAmount: 32900 },
        ])
      ).json();
      const usdBefore = product.prices.find((price: PriceBody) => price.currency === 'USD');
      const eurBefore = product.prices.find((price: PriceBody) => price.currency === 'EUR');

      const updated = await t.inject({
        method: 'PATCH',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
        payload: {
          name: 'Evaluation 75k Plus',
          description: 'Two phases',
          attributes: { ...evaluationAttributes, accountSize: 75000 },
          prices: [
            { currency: 'USD', unitAmount: 34900 },
            { currency: 'EUR', unitAmount: 36900 },
          ],
        },
      });
      expect(updated.statusCode).toBe(200);
      const body = updated.json();
      expect(body).toMatchObject({
        name: 'Evaluation 75k Plus',
        description: 'Two phases',
        slug: product.slug,
        attributes: { accountSize: 75000 },
      });
      expect(body.prices.map((price: PriceBody) => [price.currency, price.unitAmount])).toEqual([
        ['EUR', 36900],
        ['USD', 34900],
      ]);
      expect(body.prices.find((price: PriceBody) => price.currency === 'EUR').id).toBe(eurBefore.id);
      expect(body.prices.find((price: PriceBody) => price.currency === 'USD').id).not.toBe(usdBefore.id);

      const rows = await t.dataSource.query(
        'SELECT currency, unit_amount, active FROM billing.prices WHERE product_id = $1 ORDER BY currency, created_at',
        [product.id],
      );
      expect(rows).toEqual([
        { currency: 'EUR', unit_amount: '36900', active: true },
        { currency: 'GBP', unit_amount: '32900', active: false },
        { currency: 'USD', unit_amount: '39900', active: false },
        { currency: 'USD', unit_amount: '34900', active: true },
      ]);
      const [audit] = await t.dataSource.query(
        `SELECT before, after FROM platform.audit_log WHERE resource_id = $1 AND action = 'product.updated'`,
        [product.id],
      );
      expect(audit.before.name).toBe('Evaluation 75k');
      expect(audit.after.name).toBe('Evaluation 75k Plus');

      const cleared = await t.inject({
        method: 'PATCH',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
        payload: { description: null },
      });
      expect(cleared.json()).toMatchObject({ description: null, name: 'Evaluation 75k Plus' });
    });

    it('archives a product once: it stays listed for staff, cannot be changed, and is no longer sold', async () => {
      const product = (await evaluation('Evaluation 300k', [{ currency: 'USD', unitAmount: 129900 }])).json();
      const archived = await archive(product.id);
      expect(archived.statusCode).toBe(200);
      expect(archived.json()).toMatchObject({ id: product.id, status: 'archived' });
      expect((await archive(product.id)).statusCode).toBe(409);

      const change = await t.inject({
        method: 'PATCH',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
        payload: { name: 'Back from the dead' },
      });
      expect(change.statusCode).toBe(409);
      expect(change.json().error.code).toBe('PRODUCT_ARCHIVED');

      const archivedList = await t.inject({
        method: 'GET',
        url: '/v1/admin/products?status=archived',
        headers: t.as(ADMIN),
      });
      expect(archivedList.json().data.map((row: { id: string }) => row.id)).toContain(product.id);
      const sold = await listForTrader('currency=USD');
      expect(sold.json().data.map((row: { id: string }) => row.id)).not.toContain(product.id);
    });

    it('paginates the staff list newest first, archived included', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await t.inject({
          method: 'GET',
          url: `/v1/admin/products?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          headers: t.as(ADMIN),
        });
        expect(response.statusCode).toBe(200);
        seen.push(...response.json().data.map((row: { id: string }) => row.id));
        cursor = response.json().nextCursor;
      } while (cursor);
      expect(seen.length).toBe(await count('SELECT count(*)::int AS n FROM billing.products'));
      expect(seen).toEqual([...seen].sort().reverse());
    });

    it('answers 404 for unknown and malformed product ids', async () => {
      const unknown = await t.inject({
        method: 'GET',
        url: '/v1/admin/products/prd_01jzzzzzzzzzzzzzzzzzzzzzzz',
        headers: t.as(ADMIN),
      });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.message).toBe('product prd_01jzzzzzzzzzzzzzzzzzzzzzzz was not found');
      const junk = await archive('not-a-product');
      expect(junk.statusCode).toBe(404);
    });

    it('refuses traders and support staff on every admin product route with 403', async () => {
      const product = (await evaluation('Evaluation 5k', [{ currency: 'USD', unitAmount: 4900 }])).json();
      const routes = [
        { method: 'POST' as const, url: '/v1/admin/products' },
        { method: 'GET' as const, url: '/v1/admin/products' },
        { method: 'GET' as const, url: `/v1/admin/products/${product.id}` },
        { method: 'PATCH' as const, url: `/v1/admin/products/${product.id}` },
        { method: 'POST' as const, url: `/v1/admin/products/${product.id}/archive` },
      ];
      for (const route of routes) {
        for (const roles of [['trader'], ['support']]) {
          const response = await t.inject({ ...route, headers: t.as({ roles }), payload: {} });
          expect({ ...route, roles, status: response.statusCode }).toEqual({ ...route, roles, status: 403 });
        }
      }
      const still = await t.inject({
        method: 'GET',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
      });
      expect(still.json().status).toBe('active');
    });
  });

  describe('input validation', () => {
    const valid = {
      kind: 'evaluation',
      name: 'Validation probe',
      attributes: evaluationAttributes,
      prices: [{ currency: 'USD', unitAmount: 1000 }],
    };

    it.each([
      [
        'a negative unitAmount',
        { prices: [{ currency: 'USD', unitAmount: -1 }] },
        'prices.0.unitAmount',
        /must not be negative/,
      ],
      [
        'a fractional unitAmount',
        { prices: [{ currency: 'USD', unitAmount: 10.5 }] },
        'prices.0.unitAmount',
        /integer/,
      ],
      [
        'a unitAmount as a string',
        { prices: [{ currency: 'USD', unitAmount: '1000' }] },
        'prices.0.unitAmount',
        /integer/,
      ],
      [
        'a huge unitAmount',
        { prices: [{ currency: 'USD', unitAmount: 1e13 }] },
        'prices.0.unitAmount',
        /at most/,
      ],
      [
        'an unknown currency',
        { prices: [{ currency: 'XYZ', unitAmount: 100 }] },
        'prices.0.currency',
        /ISO 4217/,
      ],
      [
        'a repeated currency',
        {
          prices: [
            { currency: 'USD', unitAmount: 100 },
            { currency: 'usd', unitAmount: 200 },
          ],
        },
        'prices',
        /must not repeat a currency/,
      ],
      ['no prices', { prices: [] }, 'prices', /at least one price/],
      ['an unknown field', { color: 'gold' }, 'color', /should not exist/],
      [
        'an unknown price field',
        { prices: [{ currency: 'USD', unitAmount: 1, tax: 1 }] },
        'prices.0.tax',
        /should not exist/,
      ],
      ['a name of the wrong type', { name: 42 }, 'name', /string/],
      ['an empty name', { name: '' }, 'name', /1 to 200/],
      ['an unknown kind', { kind: 'lottery' }, 'kind', /must be one of/],
      ['a bad slug', { slug: 'Not A Slug' }, 'slug', /lower-case/],
      ['four phases', { attributes: { phases: 4 } }, 'attributes.phases', /1 to 3/],
      [
        'a zero account size',
        { attributes: { accountSize: 0 } },
        'attributes.accountSize',
        /positive integer/,
      ],
      [
        'a float percent',
        { attributes: { maxDailyLossPercent: 5 } },
        'attributes.maxDailyLossPercent',
        /decimal string/,
      ],
      [
        'a percent above 100',
        { attributes: { maxTotalLossPercent: '150' } },
        'attributes.maxTotalLossPercent',
        /at most 100/,
      ],
      [
        'targets that do not match the phases',
        { attributes: { phases: 2, profitTargetPercent: ['8'] } },
        'attributes.profitTargetPercent',
        /one target per phase/,
      ],
      [
        'a recurring price on an evaluation',
        { prices: [{ currency: 'USD', unitAmount: 100, recurring: { interval: 'month' } }] },
        'prices.0.recurring',
        /only allowed on subscription/,
      ],
      [
        'a bad interval',
        {
          kind: 'subscription',
          prices: [{ currency: 'USD', unitAmount: 100, recurring: { interval: 'week' } }],
        },
        'prices.0.recurring.interval',
        /month or year/,
      ],
      [
        'a one-off price on a subscription',
        { kind: 'subscription', prices: [{ currency: 'USD', unitAmount: 100 }] },
        'prices.0.recurring',
        /required for a subscription/,
      ],
    ])('refuses %s with 400 and the field, creating nothing', async (_case, change, field, message) => {
      const before = await count('SELECT count(*)::int AS n FROM billing.products');
      const response = await createProduct({ ...valid, ...change });
      expect(response.statusCode).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details).toEqual(
        expect.arrayContaining([{ field, message: expect.stringMatching(message) }]),
      );
      expect(await count('SELECT count(*)::int AS n FROM billing.products')).toBe(before);
    });

    it('refuses a bad update with 400 and changes nothing', async () => {
      const product = (await createProduct({ ...valid, name: 'Update probe' })).json();
      const response = await t.inject({
        method: 'PATCH',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
        payload: { name: 'Renamed', prices: [{ currency: 'USD', unitAmount: -5 }] },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details[0].field).toBe('prices.0.unitAmount');
      const after = await t.inject({
        method: 'GET',
        url: `/v1/admin/products/${product.id}`,
        headers: t.as(ADMIN),
      });
      expect(after.json()).toEqual(product);
    });
  });

  describe('what the web app sees', () => {
    let both: { id: string };
    let eurOnly: { id: string };
    let archived: { id: string };
    let subscription: { id: string };
    beforeAll(async () => {
      both = (
        await evaluation('Listing both', [
          { currency: 'USD', unitAmount: 20000 },
          { currency: 'EUR', unitAmount: 18000 },
        ])
      ).json();
      eurOnly = (await evaluation('Listing EUR only', [{ currency: 'EUR', unitAmount: 18000 }])).json();
      archived = (await evaluation('Listing archived', [{ currency: 'USD', unitAmount: 100 }])).json();
      await archive(archived.id);
      subscription = (
        await createProduct({
          kind: 'subscription',
          name: 'Listing monthly',
          prices: [{ currency: 'USD', unitAmount: 4900, recurring: { interval: 'month' } }],
        })
      ).json();
    });

    it('lists only active products priced in the currency, each with that price only', async () => {
      const response = await listForTrader('currency=usd');
      expect(response.statusCode).toBe(200);
      const data: Array<{ id: string; status: string; prices: PriceBody[] }> = response.json().data;
      const ids = data.map((product) => product.id);
      expect(ids).toEqual(expect.arrayContaining([both.id, subscription.id]));
      expect(ids).not.toContain(eurOnly.id);
      expect(ids).not.toContain(archived.id);
      for (const product of data) {
        expect(product.status).toBe('active');
        expect(product.prices).toHaveLength(1);
        expect(product.prices[0].currency).toBe('USD');
      }
      const listed = data.find((product) => product.id === both.id)!;
      expect(listed).toEqual({
        id: both.id,
        kind: 'evaluation',
        name: 'Listing both',
        description: null,
        attributes: evaluationAttributes,
        status: 'active',
        prices: [{ id: expect.stringMatching(/^prc_/), currency: 'USD', unitAmount: 20000, recurring: null }],
      });
      expect(data.find((product) => product.id === subscription.id)!.prices[0].recurring).toEqual({
        interval: 'month',
        intervalCount: 1,
      });
      const euro = (await listForTrader('currency=EUR'))
        .json()
        .data.map((product: { id: string }) => product.id);
      expect(euro).toEqual(expect.arrayContaining([both.id, eurOnly.id]));
    });

    it('filters by kind', async () => {
      const response = await listForTrader('currency=USD&kind=subscription');
      const data: Array<{ id: string; kind: string }> = response.json().data;
      expect(data.map((product) => product.id)).toContain(subscription.id);
      expect(data.every((product) => product.kind === 'subscription')).toBe(true);
    });

    it.each([
      ['no currency', '', 'currency'],
      ['an unknown currency', 'currency=XYZ', 'currency'],
      ['an unknown kind', 'currency=USD&kind=lottery', 'kind'],
      ['an unknown parameter', 'currency=USD&colour=red', 'colour'],
    ])('refuses %s with 400', async (_case, query, field) => {
      const response = await listForTrader(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    });

    it('requires a signed-in user', async () => {
      const response = await t.inject({ method: 'GET', url: '/v1/billing/products?currency=USD' });
      expect(response.statusCode).toBe(401);
    });
  });

  describe('getPurchasable, for checkout', () => {
    it('returns the product and its active price in the currency', async () => {
      const product = (
        await evaluation('Purchasable', [
          { currency: 'USD', unitAmount: 15000 },
          { currency: 'EUR', unitAmount: 14000 },
        ])
      ).json();
      const { product: found, price } = await t.app.get(CatalogService).getPurchasable(product.id, 'EUR');
      expect(found.id).toBe(product.id);
      expect(price).toMatchObject({
        productId: product.id,
        currency: 'EUR',
        unitAmount: 14000,
        active: true,
      });
    });

    it('answers 404 for an unknown product, 409 for an archived one, 422 for a currency not offered', async () => {
      const product = (
        await evaluation('Not everywhere', [
          { currency: 'USD', unitAmount: 15000 },
          { currency: 'EUR', unitAmount: 14000 },
        ])
      ).json();
      const notOffered = await validateCoupon(product.id, 'JPY');
      expect(notOffered.statusCode).toBe(422);
      expect(notOffered.json().error).toMatchObject({
        code: 'CURRENCY_NOT_OFFERED',
        message: `product ${product.id} has no price in JPY; offered: EUR, USD`,
      });

      const unknown = await validateCoupon('prd_01jzzzzzzzzzzzzzzzzzzzzzzz', 'USD');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('NOT_FOUND');

      await archive(product.id);
      const gone = await validateCoupon(product.id, 'USD');
      expect(gone.statusCode).toBe(409);
      expect(gone.json().error).toMatchObject({
        code: 'PRODUCT_ARCHIVED',
        message: expect.stringContaining(`product ${product.id} (Not everywhere) is archived`),
      });
      await expect(t.app.get(CatalogService).getPurchasable(product.id, 'USD')).rejects.toMatchObject({
        status: 409,
        code: 'PRODUCT_ARCHIVED',
      });
    });
  });

  describe('demo catalog seed', () => {
    const counts = async () => ({
      products: await count('SELECT count(*)::int AS n FROM billing.products'),
      activePrices: await count('SELECT count(*)::int AS n FROM billing.prices WHERE active'),
      allPrices: await count('SELECT count(*)::int AS n FROM billing.prices'),
      coupons: await count('SELECT count(*)::int AS n FROM billing.coupons'),
      audit: await count(`SELECT count(*)::int AS n FROM platform.audit_log`),
    });

    it('creates the demo products and WELCOME20 once; a second run changes nothing', async () => {
      const catalog = t.app.get(CatalogService);
      const before = await counts();
      const first = await catalog.seedDemoCatalog();
      expect(first.productsCreated.map((product) => product.slug)).toEqual(
        DEMO_PRODUCTS.map((demo) => demo.slug),
      );
      expect(first.couponsCreated.map((coupon) => coupon.code)).toEqual(['WELCOME20']);
      const afterFirst = await counts();
      expect(afterFirst.products).toBe(before.products + DEMO_PRODUCTS.length);
      expect(afterFirst.coupons).toBe(before.coupons + 1);

      const second = await catalog.seedDemoCatalog();
      expect(second).toMatchObject({
        productsCreated: [],
        pricesAdded: [],
        productsUnchanged: DEMO_PRODUCTS.length,
        couponsCreated: [],
        couponsUnchanged: 1,
      });
      expect(await counts()).toEqual(afterFirst);

      const [evaluation50k] = await t.dataSource.query(
        `SELECT p.kind, p.attributes, p.status, json_agg(json_build_object('currency', pr.currency, 'amount', pr.unit_amount)
                 ORDER BY pr.currency) AS prices
           FROM billing.products p JOIN billing.prices pr ON pr.product_id = p.id AND pr.active
          WHERE p.slug = 'evaluation-50k' GROUP BY p.id`,
      );
      expect(evaluation50k).toEqual({
        kind: 'evaluation',
        status: 'active',
        attributes: evaluationAttributes, // accountSize 50000 and the two-phase rules
        prices: [
          { currency: 'EUR', amount: 27900 },
          { currency: 'USD', amount: 29900 },
        ],
      });
      const [pro] = await t.dataSource.query(
        `SELECT pr.unit_amount, pr.recurring_interval FROM billing.products p
           JOIN billing.prices pr ON pr.product_id = p.id AND pr.active AND pr.currency = 'USD'
          WHERE p.slug = 'pro-monthly'`,
      );
      expect(pro).toEqual({ unit_amount: '4900', recurring_interval: 'month' });
      const [welcome] = await t.dataSource.query(
        `SELECT kind, percent_off, first_purchase_only, max_redemptions FROM billing.coupons WHERE code = 'WELCOME20'`,
      );
      expect(welcome).toEqual({
        kind: 'percent_off',
        percent_off: '20',
        first_purchase_only: true,
        max_redemptions: 10000,
      });
    });

    it('adds a price a demo product lost and keeps what staff changed', async () => {
      const catalog = t.app.get(CatalogService);
      await catalog.seedDemoCatalog();
      await t.dataSource.query(
        `UPDATE billing.prices SET active = false
          WHERE currency = 'EUR' AND product_id = (SELECT id FROM billing.products WHERE slug = 'reset-25k')`,
      );
      await t.dataSource.query(
        `UPDATE billing.products SET name = 'Reset 25k (renamed by staff)' WHERE slug = 'reset-25k'`,
      );
      const report = await catalog.seedDemoCatalog();
      expect(report.productsCreated).toEqual([]);
      expect(report.pricesAdded).toEqual([{ slug: 'reset-25k', currency: 'EUR', unitAmount: 8900 }]);
      const [reset] = await t.dataSource.query(`SELECT name FROM billing.products WHERE slug = 'reset-25k'`);
      expect(reset.name).toBe('Reset 25k (renamed by staff)');
      expect((await catalog.seedDemoCatalog()).pricesAdded).toEqual([]);
    });
  });
});
