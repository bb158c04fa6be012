/** When a usage price version is in force: [from, to), to null = still in force. */
export interface PriceVersion {
  from: Date;
  to: Date | null;
}

/**
 * The part of a stretch of usage [from, to) a price version was in force for, or null when none: a
 * price change takes effect from its time, never before (usage that accrued earlier keeps its price).
 */
export function priceWindowsOf(
  stretch: { from: Date; to: Date },
  version: PriceVersion,
): { from: Date; to: Date } | null {
  const from = version.from > stretch.from ? version.from : stretch.from;
  const to = version.to !== null && version.to < stretch.to ? version.to : stretch.to;
  return from < to ? { from, to } : null;
}

/**
 * The versions after a change at `at`: the version in force is superseded there (or replaced when it
 * took effect at that very instant: no usage can have been priced by it), and the new one, if any,
 * takes effect. Archiving is a change to nothing.
 */
export function supersede<T extends PriceVersion>(
  current: T | null,
  at: Date,
): { close: T | null; replace: T | null } {
  if (current === null) return { close: null, replace: null };
  if (current.from.getTime() >= at.getTime()) return { close: null, replace: current };
  return { close: current, replace: null };
}
