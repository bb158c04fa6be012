'use strict';
// Prices one million invoice lines with mixed price models and currencies through @astrix/pricing's
// public priceLine, on one thread, and prints lines per second. Run ./run.sh (it builds the package first).
// Not part of the test suite; record the figures in docs/performance.md.
const os = require('node:os');
const { priceLine } = require('@astrix/pricing');

const LINES = Number(process.argv[2] ?? 1_000_000);
const WARMUP_LINES = 200_000;

const tiers = [
  { upTo: 1_000, unitAmount: { USD: 5, EUR: 5, JPY: 1, KWD: 2 } },
  {
    upTo: 10_000,
    unitAmount: { USD: 4, EUR: 4, JPY: 1, KWD: 1 },
    flatAmount: { USD: 1_000, EUR: 900, JPY: 150, KWD: 300 },
  },
  { upTo: null, unitAmount: { USD: 2, EUR: 2, JPY: 0, KWD: 1 } },
];

// A catalog like the platform's: evaluations, seats, packages, usage tiers and a processing fee.
const catalog = [
  { model: 'flat', amount: { USD: 29_900, EUR: 27_900, JPY: 45_000, KWD: 92_500 } },
  { model: 'per_unit', unitAmount: { USD: 2_000, EUR: 1_900, JPY: 3_000, KWD: 6_150 } },
  { model: 'per_unit', unitAmount: { USD: 1, EUR: 1, JPY: 1, KWD: 3 }, freeQuantity: 1_000 },
  { model: 'package', packageSize: 1_000, packageAmount: { USD: 250, EUR: 230, JPY: 400, KWD: 770 } },
  { model: 'graduated', tiers },
  { model: 'graduated', tiers, freeQuantity: 500 },
  { model: 'volume', tiers },
  {
    model: 'percentage',
    percentage: '2.9',
    minimum: { USD: 30, EUR: 25, JPY: 40, KWD: 100 },
    maximum: { USD: 500_000, EUR: 450_000, JPY: 750_000, KWD: 1_500_000 },
  },
];
const currencies = ['USD', 'EUR', 'JPY', 'KWD'];

/** Deterministic inputs (a small LCG), generated before timing so only pricing is measured. */
function makeLines(count, seed) {
  const priceIndex = new Uint8Array(count);
  const currencyIndex = new Uint8Array(count);
  const quantity = new Float64Array(count);
  let state = seed >>> 0;
  // the high bits of an LCG are the random ones
  const next = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) >>> 8;
  for (let i = 0; i < count; i++) {
    priceIndex[i] = next() % catalog.length;
    currencyIndex[i] = next() % currencies.length;
    const model = catalog[priceIndex[i]].model;
    // evaluations and seats: 1–20; usage and percentage bases: up to 50,000
    quantity[i] = model === 'flat' || priceIndex[i] === 1 ? 1 + (next() % 20) : next() % 50_001;
  }
  return { priceIndex, currencyIndex, quantity };
}

function run(lines) {
  let checksum = 0;
  let breakdownItems = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < lines.quantity.length; i++) {
    const priced = priceLine(
      catalog[lines.priceIndex[i]],
      lines.quantity[i],
      currencies[lines.currencyIndex[i]],
    );
    checksum = (checksum + priced.amount.amountMinor) % 1_000_000_007;
    breakdownItems += priced.breakdown.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, checksum, breakdownItems };
}

run(makeLines(WARMUP_LINES, 7)); // let the JIT settle before measuring
const lines = makeLines(LINES, 2026);
const { seconds, checksum, breakdownItems } = run(lines);
const cpu = os.cpus()[0];

console.log(
  `pricing bench: ${catalog.length} prices (flat, per-unit, package, graduated, volume, percentage) × ${currencies.length} currencies`,
);
console.log(`lines:          ${LINES.toLocaleString('en-US')}`);
console.log(`seconds:        ${seconds.toFixed(3)}`);
console.log(`lines/second:   ${Math.round(LINES / seconds).toLocaleString('en-US')}`);
console.log(`breakdown rows: ${breakdownItems.toLocaleString('en-US')} (checksum ${checksum})`);
console.log(`node:           ${process.version}`);
console.log(
  `cpu:            ${cpu ? cpu.model.trim() : 'unknown'} (${os.cpus().length} logical cores, bench runs on one thread)`,
);
