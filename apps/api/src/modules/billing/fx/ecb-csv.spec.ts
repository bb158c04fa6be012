import { FxCsvError, parseEcbCsv } from './ecb-csv';

describe('ECB-style CSV', () => {
  it('reads one rate per currency and day, skipping N/A and the trailing empty column', () => {
    const csv = 'Date,USD,JPY,ISK,\r\n2026-03-02,1.0832,162.45,N/A,\r\n2026-03-03,1.0851,163.10,150.2,\r\n';
    expect(parseEcbCsv(csv)).toEqual([
      { day: '2026-03-02', base: 'EUR', quote: 'USD', rate: '1.0832' },
      { day: '2026-03-02', base: 'EUR', quote: 'JPY', rate: '162.45' },
      { day: '2026-03-03', base: 'EUR', quote: 'USD', rate: '1.0851' },
      { day: '2026-03-03', base: 'EUR', quote: 'JPY', rate: '163.10' },
      { day: '2026-03-03', base: 'EUR', quote: 'ISK', rate: '150.2' },
    ]);
  });

  it('refuses the whole file on one bad cell, naming it', () => {
    expect(() => parseEcbCsv('Date,USD\n2026-03-02,1,08')).not.toThrow();
    expect(() => parseEcbCsv('Date,USD\n2026-03-02,abc')).toThrow(
      new FxCsvError('line 2, column 2 (USD): abc is not a positive decimal rate'),
    );
    expect(() => parseEcbCsv('Date,USD\n02/03/2026,1.08')).toThrow(
      'line 2: 02/03/2026 is not a date (YYYY-MM-DD)',
    );
    expect(() => parseEcbCsv('Date,XYZ\n2026-03-02,1.08')).toThrow('XYZ is not an ISO 4217 currency');
    expect(() => parseEcbCsv('Date,USD\n2026-03-02,0')).toThrow('is not a positive decimal rate');
  });
});
