import { priceWindowsOf, supersede } from './usage-price-versions';

const at = (day: number) => new Date(Date.UTC(2026, 4, day));

describe('usage price versions', () => {
  it('price only the part of a stretch each version was in force for', () => {
    const stretch = { from: at(1), to: at(31) };
    expect(priceWindowsOf(stretch, { from: at(0), to: at(10) })).toEqual({ from: at(1), to: at(10) });
    expect(priceWindowsOf(stretch, { from: at(10), to: null })).toEqual({ from: at(10), to: at(31) });
    expect(priceWindowsOf(stretch, { from: at(5), to: at(6) })).toEqual({ from: at(5), to: at(6) });
  });

  it('never apply a version to usage before it took effect or after it ended', () => {
    const stretch = { from: at(1), to: at(10) };
    expect(priceWindowsOf(stretch, { from: at(10), to: null })).toBeNull();
    expect(priceWindowsOf(stretch, { from: at(0), to: at(1) })).toBeNull();
  });

  it('supersede the version in force, or replace one that took effect at that very instant', () => {
    const version = { from: at(1), to: null };
    expect(supersede(version, at(5))).toEqual({ close: version, replace: null });
    expect(supersede(version, at(1))).toEqual({ close: null, replace: version });
    expect(supersede(null, at(5))).toEqual({ close: null, replace: null });
  });
});
