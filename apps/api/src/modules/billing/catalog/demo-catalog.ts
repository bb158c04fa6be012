import type { ProductAttributes } from '@astrix/contracts';
import { type CurrencyCode, moneyFromDecimal } from '@astrix/pricing';
import type { PriceInput, ProductInput } from './catalog.service';

/** A demo catalog for local development and sandboxes: realistic prices, matched by slug when seeding. */
export type DemoProduct = ProductInput & { slug: string };

/** "149.00" in the currency's minor units, through the pricing engine. */
function oneOff(amounts: Partial<Record<CurrencyCode, string>>): PriceInput[] {
  return Object.entries(amounts).map(([currency, amount]) => ({
    currency,
    unitAmount: moneyFromDecimal(amount, currency as CurrencyCode).amountMinor,
  }));
}

function monthly(amounts: Partial<Record<CurrencyCode, string>>): PriceInput[] {
  return oneOff(amounts).map((price): PriceInput => ({
    ...price,
    recurring: { interval: 'month', intervalCount: 1 },
  }));
}

const PLATFORM = 'astrix-trader';

const evaluationRules: ProductAttributes = {
  phases: 2,
  profitTargetPercent: ['8', '5'],
  maxDailyLossPercent: '5',
  maxTotalLossPercent: '10',
  minTradingDays: 4,
  platform: PLATFORM,
};

const SIZES = [
  {
    size: 25_000,
    label: '25k',
    evaluation: { USD: '149.00', EUR: '139.00' },
    reset: { USD: '99.00', EUR: '89.00' },
  },
  {
    size: 50_000,
    label: '50k',
    evaluation: { USD: '299.00', EUR: '279.00' },
    reset: { USD: '149.00', EUR: '139.00' },
  },
  {
    size: 100_000,
    label: '100k',
    evaluation: { USD: '499.00', EUR: '459.00' },
    reset: { USD: '249.00', EUR: '229.00' },
  },
  {
    size: 200_000,
    label: '200k',
    evaluation: { USD: '999.00', EUR: '929.00' },
    reset: { USD: '449.00', EUR: '419.00' },
  },
] as const;

const INSTANT_FUNDED = [
  { size: 25_000, label: '25k', prices: { USD: '499.00', EUR: '459.00' } },
  { size: 50_000, label: '50k', prices: { USD: '899.00', EUR: '829.00' } },
] as const;

const sizeText = (size: number): string => `$${size.toLocaleString('en-US')}`;

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  ...SIZES.map(({ size, label, evaluation }): DemoProduct => ({
    slug: `evaluation-${label}`,
    kind: 'evaluation',
    name: `Evaluation ${label}`,
    description: `Two-phase challenge on a ${sizeText(size)} account: 8% then 5% profit target, 5% daily and 10% total loss limits.`,
    attributes: { accountSize: size, ...evaluationRules },
    prices: oneOff(evaluation),
  })),
  ...INSTANT_FUNDED.map(({ size, label, prices }): DemoProduct => ({
    slug: `instant-funded-${label}`,
    kind: 'instant_funded',
    name: `Instant Funded ${label}`,
    description: `A funded ${sizeText(size)} account from day one, no evaluation; 5% daily and 10% total loss limits.`,
    attributes: {
      accountSize: size,
      maxDailyLossPercent: '5',
      maxTotalLossPercent: '10',
      minTradingDays: 4,
      platform: PLATFORM,
    },
    prices: oneOff(prices),
  })),
  ...SIZES.map(({ size, label, reset }): DemoProduct => ({
    slug: `reset-${label}`,
    kind: 'reset',
    name: `Reset ${label}`,
    description: `Restarts a failed or breached ${sizeText(size)} evaluation at its starting balance. Not refundable.`,
    attributes: { accountSize: size, platform: PLATFORM },
    prices: oneOff(reset),
  })),
  {
    slug: 'pro-monthly',
    kind: 'subscription',
    name: 'Astrix Pro',
    description: 'Advanced analytics, trade journal and priority support, billed monthly.',
    attributes: { platform: PLATFORM, trialDays: 7 },
    prices: monthly({ USD: '49.00', EUR: '45.00' }),
  },
  {
    slug: 'elite-monthly',
    kind: 'subscription',
    name: 'Astrix Elite',
    description: 'Everything in Pro plus live risk desk, per seat, billed monthly.',
    attributes: { platform: PLATFORM, trialDays: 7 },
    prices: monthly({ USD: '99.00', EUR: '92.00' }),
  },
];
