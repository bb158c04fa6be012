import { type DailyRate, snapshotFrom } from './fx-snapshot';

const ecb = (day: string, quote: string, rate: string): DailyRate => ({
  day,
  base: 'EUR',
  quote,
  rate,
  source: 'ecb',
});

describe('FX snapshot to the reporting currency', () => {
  const rates = [
    ecb('2026-03-02', 'USD', '1.10'),
    ecb('2026-03-02', 'GBP', '0.85'),
    ecb('2026-03-05', 'USD', '1.20'),
  ];

  it('the same currency converts at 1', () => {
    expect(snapshotFrom(rates, 'USD', 'USD', '2026-03-02')).toMatchObject({ rate: '1', source: 'identity' });
  });

  it('EUR to USD: the latest rate at or before the day, never a later one', () => {
    expect(snapshotFrom(rates, 'EUR', 'USD', '2026-03-03')).toEqual({
      reportingCurrency: 'USD',
      rate: '1.10',
      source: 'ecb',
      asOf: new Date('2026-03-02T00:00:00Z'),
    });
    expect(snapshotFrom(rates, 'EUR', 'USD', '2026-03-05')?.rate).toBe('1.20');
    expect(snapshotFrom(rates, 'EUR', 'USD', '2026-03-01')).toBeNull();
  });

  it('GBP to USD crosses through EUR on the same day; USD to EUR inverts', () => {
    expect(snapshotFrom(rates, 'GBP', 'USD', '2026-03-04')).toMatchObject({
      rate: '1.2941176471',
      source: 'ecb:cross-EUR',
    });
    expect(snapshotFrom(rates, 'USD', 'EUR', '2026-03-02')).toMatchObject({
      rate: '0.9090909091',
      source: 'ecb:inverse',
    });
  });

  it('no rate for the currency: null', () => {
    expect(snapshotFrom(rates, 'JPY', 'USD', '2026-03-04')).toBeNull();
  });
});
