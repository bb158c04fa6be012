import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import fc from 'fast-check';
import { IsInstant, parseCanonicalUtc, parseInstant, parseInstantByPattern } from './instant';

const iso = (value: string, options = {}) => parseInstant(value, options)?.toISOString() ?? null;

describe('parseInstant', () => {
  it.each([
    ['2026-11-21', '2026-11-21T00:00:00.000Z'],
    ['2026-11-21T10:00', '2026-11-21T10:00:00.000Z'],
    ['2026-11-21T10:00:05Z', '2026-11-21T10:00:05.000Z'],
    ['2026-11-21 10:00:05Z', '2026-11-21T10:00:05.000Z'],
    ['2026-11-21T10:00:05.123456789Z', '2026-11-21T10:00:05.123Z'],
    ['2026-11-21T10:00:05+02:00', '2026-11-21T08:00:05.000Z'],
    ['2026-11-21T10:00:05-0130', '2026-11-21T11:30:05.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it.each([
    '2026-W01', // week date: class-validator's IsISO8601 accepted it, Date refused it (a 500)
    '2026-W01-1',
    '2026-001', // ordinal date
    '2026',
    '2026-11',
    '20261121',
    '2026-02-30', // Date rolls it over to March 2
    '2027-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-11-21T24:00:00Z',
    '2026-11-21T10:60Z',
    '2026-11-21T10:00:60Z',
    '2026-11-21T10',
    '2026-11-21T10:00:00,5Z',
    '2026-11-21T10:00:00+15:00',
    '2026-11-21T10:00:00+01',
    '2026-11-21T10:00:00+01:60',
    '0000-01-01',
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:30:00+01:00',
    '+002026-01-01',
    ' 2026-11-21',
    '2026-11-21\u0000',
    '',
    'yesterday',
  ])('refuses %j', (input) => {
    expect(parseInstant(input)).toBeNull();
  });

  it('refuses a date alone or a missing offset when told to', () => {
    expect(parseInstant('2026-11-21', { requireTime: true })).toBeNull();
    expect(parseInstant('2026-11-21T10:00', { requireOffset: true })).toBeNull();
    expect(iso('2026-11-21T10:00Z', { requireTime: true, requireOffset: true })).toBe(
      '2026-11-21T10:00:00.000Z',
    );
  });
});

class Probe {
  @IsOptional()
  @IsInstant()
  from?: string;
}

describe('IsInstant', () => {
  const check = (from: unknown) => {
    const probe = plainToInstance(Probe, { from });
    return {
      value: probe.from,
      errors: validateSync(probe).flatMap((error) => Object.values(error.constraints ?? {})),
    };
  };

  it('rewrites an accepted value to its canonical form', () => {
    expect(check('2026-11-21T10:00+01:00')).toEqual({ value: '2026-11-21T09:00:00.000Z', errors: [] });
  });

  it('refuses what parseInstant refuses, and other types, naming the field', () => {
    for (const from of ['2026-W01', 5, true, {}, ['2026-11-21']]) {
      expect(check(from).errors).toEqual([expect.stringMatching(/^from must be an ISO 8601 date/)]);
    }
  });
});

describe('parseInstant, the canonical UTC forms read without the pattern', () => {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  // Each field ranging over valid and invalid values (month 0 and 13, day 0 to 31 of every month,
  // hour 24, a leap and a non-leap February 29, years before 1970 and years 0–99).
  const canonical = fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 1970, 2000, 2024, 2100, 2400)),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 24 }),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.integer({ min: 0, max: 60 }),
      milliseconds: fc.option(fc.integer({ min: 0, max: 999 })),
    })
    .map(
      ({ year, month, day, hour, minute, second, milliseconds }) =>
        `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}` +
        `${milliseconds === null ? '' : `.${pad(milliseconds, 3)}`}Z`,
    );

  it('agrees with the pattern on every string of those shapes, valid or not', () => {
    fc.assert(
      fc.property(canonical, (value) => {
        expect(parseCanonicalUtc(value)).not.toBeUndefined();
        expect(parseInstant(value)?.getTime() ?? null).toBe(parseInstantByPattern(value)?.getTime() ?? null);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves any other shape to the pattern', () => {
    for (const value of [
      '2026-11-21T10:00:05+00:00',
      '2026-11-21 10:00:05Z',
      '2026-11-21T10:00:05.1Z',
      '2026-11-21T10:00:05.123456Z',
      '2026-11-2aT10:00:05Z',
      '2026-11-21T10:00:05.12aZ',
      '+02026-11-21T10:00:05Z',
      '2026-11-21T10:00:05z',
    ]) {
      expect(parseCanonicalUtc(value)).toBeUndefined();
      expect(parseInstant(value)?.getTime() ?? null).toBe(parseInstantByPattern(value)?.getTime() ?? null);
    }
  });
});
